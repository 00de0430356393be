module gowb

go 1.19
