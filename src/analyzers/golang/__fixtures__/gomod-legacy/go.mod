module example.com/bollard/legacy

go 1.16

require (
	example.com/lib/a v1.0.0
	example.com/lib/c v1.2.0
)
