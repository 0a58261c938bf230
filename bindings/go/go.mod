module github.com/cra/libcra-go

go 1.19
