package stu3

//go:generate go run ../internal/gen -version stu3 -def ../internal/gen/stu3.def -out .
