"""Creates a table, inserts and reads back; then SET and GET in Redis."""
import os

import psycopg2
import redis

conn = psycopg2.connect(
    host="postgres",
    user=os.environ["POSTGRES_USER"],
    password=os.environ["POSTGRES_PASSWORD"],
    dbname=os.environ["POSTGRES_DB"],
)
cur = conn.cursor()
cur.execute("CREATE TABLE items (id serial PRIMARY KEY, name text)")
cur.execute("INSERT INTO items (name) VALUES (%s)", ("gantry",))
cur.execute("SELECT name FROM items")
print("postgres:", cur.fetchone()[0])

r = redis.Redis(host="cache")
r.set("greeting", "hello")
print("redis:", r.get("greeting").decode())
