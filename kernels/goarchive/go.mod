module goarchive

go 1.23
