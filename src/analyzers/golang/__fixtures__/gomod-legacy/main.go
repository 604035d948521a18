package main

import (
	"fmt"

	"example.com/lib/a"
	"example.com/lib/c"
)

func main() { fmt.Println(a.V, c.N) }
