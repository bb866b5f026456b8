module dagger/tests

go 1.26.1
