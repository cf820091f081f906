"""Reading settings from the environment, the only place secrets come from."""
import os

from django.core.exceptions import ImproperlyConfigured


def required(name):
    """Return the variable, or stop with a message naming it."""
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set: export it, or add it to the env file " "(see .env.prod.example)"
        )
    return value


def text(name, default=""):
    return os.environ.get(name, default)


def integer(name, default):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def boolean(name, default):
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def listing(name, default=()):
    """A comma-separated list: DJANGO_ALLOWED_HOSTS=a.example.com,b.example.com."""
    value = os.environ.get(name, "")
    if value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]
