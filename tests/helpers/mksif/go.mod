module ochre.test/mksif

go 1.19

require (
	github.com/google/uuid v1.3.0
	github.com/sylabs/sif/v2 v2.8.3
)

replace (
	github.com/google/uuid => /usr/share/gocode/src/github.com/google/uuid
	github.com/sylabs/sif/v2 => /usr/share/gocode/src/github.com/sylabs/sif
)
