// mksif writes SIF test images for ochre's tests.
//
//	mksif native OUT SQUASHFS        a native SIF: SQUASHFS as the primary
//	                                 system partition, written by the SIF
//	                                 reference library (sylabs/sif).
//	mksif oci OUT INDEX BLOB...      an OCI-SIF: each BLOB (a file named by
//	                                 its sha256 hex) as a DataOCIBlob, in the
//	                                 order given (SingularityCE's: layers,
//	                                 config, manifest), then INDEX as the
//	                                 DataOCIRootIndex.
//
// The Debian library (v2.8.3) predates the OCI data types and their digest
// Extra, so OCI-SIFs are laid out here field by field, as sylabs/sif v2.12+
// writes them through oci-tools' sif.Write: deterministic (zero UUID, Go's
// zero time), descriptors at 4096, exactly one slot per object plus 8
// spare, objects packed one after the other (no alignment), Extra holding
// "sha256:HEX". See docs/SIF-FORMAT.md.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/sylabs/sif/v2/pkg/sif"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: mksif native OUT SQUASHFS | mksif oci OUT INDEX BLOB...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "native":
		err = writeNative(os.Args[2], os.Args[3])
	case "oci":
		err = writeOCI(os.Args[2], os.Args[3], os.Args[4:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksif:", err)
		os.Exit(1)
	}
}

func writeNative(out, squashfs string) error {
	f, err := os.Open(squashfs)
	if err != nil {
		return err
	}
	defer f.Close()
	di, err := sif.NewDescriptorInput(sif.DataPartition, f,
		sif.OptPartitionMetadata(sif.FsSquash, sif.PartPrimSys, "amd64"))
	if err != nil {
		return err
	}
	fi, err := sif.CreateContainerAtPath(out,
		sif.OptCreateWithLaunchScript("#!/usr/bin/env run-singularity\n"),
		sif.OptCreateDeterministic(),
		sif.OptCreateWithDescriptors(di))
	if err != nil {
		return err
	}
	return fi.UnloadContainer()
}

// The on-disk descriptor, field for field as sylabs/sif's rawDescriptor.
type rawDescriptor struct {
	DataType        int32
	Used            bool
	ID              uint32
	GroupID         uint32
	LinkedID        uint32
	Offset          int64
	Size            int64
	SizeWithPadding int64
	CreatedAt       int64
	ModifiedAt      int64
	UID             int64
	GID             int64
	Name            [128]byte
	Extra           [384]byte
}

// The on-disk global header, as sylabs/sif's header.
type header struct {
	LaunchScript      [32]byte
	Magic             [10]byte
	Version           [3]byte
	Arch              [3]byte
	ID                [16]byte
	CreatedAt         int64
	ModifiedAt        int64
	DescriptorsFree   int64
	DescriptorsTotal  int64
	DescriptorsOffset int64
	DescriptorsSize   int64
	DataOffset        int64
	DataSize          int64
}

const (
	dataOCIRootIndex = 0x400a
	dataOCIBlob      = 0x400b
	groupMask        = 0xf0000000
	spare            = 8
)

func writeOCI(out, index string, blobs []string) error {
	paths := append(append([]string{}, blobs...), index)
	total := int64(len(paths) + spare)
	zeroTime := time.Time{}.Unix()
	descrOff := int64(4096)
	descrSize := total * int64(binary.Size(rawDescriptor{}))
	dataOff := descrOff + descrSize
	rds := make([]rawDescriptor, total)
	var data bytes.Buffer
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		d := &rds[i]
		d.DataType = dataOCIBlob
		if p == index {
			d.DataType = dataOCIRootIndex
		}
		d.Used = true
		d.ID = uint32(i) + 1
		d.GroupID = 1 | groupMask
		d.Offset = dataOff + int64(data.Len())
		d.Size = int64(len(b))
		d.SizeWithPadding = int64(len(b))
		d.CreatedAt, d.ModifiedAt = zeroTime, zeroTime
		copy(d.Extra[:], "sha256:"+hex.EncodeToString(sum[:]))
		data.Write(b)
	}
	h := header{
		Arch:              [3]byte{'0', '0', 0},
		CreatedAt:         zeroTime,
		ModifiedAt:        zeroTime,
		DescriptorsFree:   spare,
		DescriptorsTotal:  total,
		DescriptorsOffset: descrOff,
		DescriptorsSize:   descrSize,
		DataOffset:        dataOff,
		DataSize:          int64(data.Len()),
	}
	copy(h.Magic[:], "SIF_MAGIC")
	copy(h.Version[:], "01")
	var file bytes.Buffer
	binary.Write(&file, binary.LittleEndian, h)
	file.Write(make([]byte, descrOff-int64(file.Len())))
	binary.Write(&file, binary.LittleEndian, rds)
	file.Write(data.Bytes())
	return os.WriteFile(out, file.Bytes(), 0o644)
}
