// Command calc adds its two arguments.
package main

import (
	"fmt"
	"os"
	"strconv"

	"example.com/quickstart/calc"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: calc A B")
		os.Exit(2)
	}
	a, errA := strconv.Atoi(os.Args[1])
	b, errB := strconv.Atoi(os.Args[2])
	if errA != nil || errB != nil {
		fmt.Fprintln(os.Stderr, "calc: arguments must be integers")
		os.Exit(2)
	}
	fmt.Println(calc.Add(a, b))
}
