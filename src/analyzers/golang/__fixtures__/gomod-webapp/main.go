package main

import (
	"fmt"
	"strings"

	"example.com/bollard/greet"
	"golang.org/x/net/html"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

func main() {
	doc, _ := html.Parse(strings.NewReader("<p>hi</p>"))
	var v map[string]string
	_ = yaml.Unmarshal([]byte("a: b"), &v)
	fmt.Println(greet.Hello(), doc.Type, language.English, v)
}
