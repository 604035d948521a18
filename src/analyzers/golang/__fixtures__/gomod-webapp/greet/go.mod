module example.com/bollard/greet

go 1.19
