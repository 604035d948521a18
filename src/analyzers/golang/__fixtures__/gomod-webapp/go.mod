module example.com/bollard/webapp

go 1.19

require (
	example.com/bollard/greet v0.0.0-00010101000000-000000000000
	golang.org/x/net v0.7.0
	golang.org/x/text v0.7.0
	gopkg.in/yaml.v3 v3.0.0
)

replace example.com/bollard/greet => ./greet

replace gopkg.in/yaml.v3 v3.0.0 => gopkg.in/yaml.v3 v3.0.1

exclude golang.org/x/text v0.3.7
