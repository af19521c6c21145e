module midas

go 1.26.8
