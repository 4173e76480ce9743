/* The SIF on-disk layout, as the reference library (sylabs/sif v2,
 * pkg/sif) writes it and SingularityCE 4.x reads it: a fixed global
 * header, an array of fixed-size descriptors, then the data objects the
 * used descriptors point at. Every integer is little-endian and every
 * struct is packed (Go's encoding/binary writes fields back to back, with
 * no padding). Offsets and sizes here are byte counts; the readers use
 * them with explicit little-endian loads, never by casting a struct onto
 * the file. The reader (sif.c) and the OCI-SIF writer (the importer)
 * share this header; docs/SIF-FORMAT.md says where each fact comes from. */
#ifndef OCHRE_SIF_FORMAT_H
#define OCHRE_SIF_FORMAT_H

/* --- Global header: 128 bytes at offset 0 (sif.go, type header) --- */
#define SIF_HDR_LAUNCH_OFF 0 /* char[32]: "#!/usr/bin/env run-singularity\n" or zeros */
#define SIF_HDR_LAUNCH_LEN 32
#define SIF_HDR_MAGIC_OFF 32 /* char[10]: "SIF_MAGIC\0" */
#define SIF_HDR_MAGIC_LEN 10
#define SIF_HDR_VERSION_OFF 42 /* char[3]: "01\0" (the only version) */
#define SIF_HDR_VERSION_LEN 3
#define SIF_HDR_ARCH_OFF 45 /* char[3]: the primary partition's arch, "02\0"... */
#define SIF_HDR_ARCH_LEN 3
#define SIF_HDR_ID_OFF 48 /* 16-byte UUID; all zero in deterministic files */
#define SIF_HDR_ID_LEN 16
#define SIF_HDR_CREATED_OFF 64 /* int64 Unix seconds */
#define SIF_HDR_MODIFIED_OFF 72
#define SIF_HDR_DESCR_FREE_OFF 80   /* int64: unused descriptors */
#define SIF_HDR_DESCR_TOTAL_OFF 88  /* int64: descriptor slots */
#define SIF_HDR_DESCR_OFFSET_OFF 96 /* int64: where the array starts (4096) */
#define SIF_HDR_DESCR_SIZE_OFF 104  /* int64: total * SIF_DESCR_LEN */
#define SIF_HDR_DATA_OFFSET_OFF 112 /* int64: where data starts (after the array) */
#define SIF_HDR_DATA_SIZE_OFF 120   /* int64: bytes of data, padding included */
#define SIF_HDR_LEN 128

#define SIF_MAGIC "SIF_MAGIC" /* 9 bytes + NUL fill the 10-byte field */
#define SIF_VERSION "01"      /* + NUL fills the 3-byte field */
#define SIF_LAUNCH_SCRIPT "#!/usr/bin/env run-singularity\n"

/* What CreateContainer uses unless told otherwise (create.go): the array
 * at 4096, 48 slots. oci-tools' sif.Write (what SingularityCE uses for
 * OCI-SIFs) sizes the array to exactly the objects written plus the
 * spare capacity its caller asks for (SingularityCE: 8). */
#define SIF_DEFAULT_DESCR_OFFSET 4096
#define SIF_DEFAULT_DESCR_CAPACITY 48
#define SIF_OCI_SPARE_DESCRIPTORS 8

/* Deterministic files (OptCreateDeterministic, always used by oci-tools'
 * sif.Write): zero UUID and the time Go's zero time.Time gives as Unix
 * seconds (year 1, -62135596800) in the header and every descriptor. */
#define SIF_DETERMINISTIC_TIME (-62135596800LL)

/* --- Descriptor: 585 bytes each (descriptor.go, type rawDescriptor) --- */
#define SIF_DESCR_DATATYPE_OFF 0 /* int32, SIF_DATA_* */
#define SIF_DESCR_USED_OFF 4     /* bool, one byte: 0 or 1 */
#define SIF_DESCR_ID_OFF 5       /* uint32: 1 + slot index when written */
#define SIF_DESCR_GROUPID_OFF 9  /* uint32: group | SIF_GROUP_MASK */
#define SIF_DESCR_LINKEDID_OFF 13
#define SIF_DESCR_OFFSET_OFF 17      /* int64: of the object in the file */
#define SIF_DESCR_SIZE_OFF 25        /* int64: the object's length */
#define SIF_DESCR_SIZE_PADDED_OFF 33 /* int64: length + alignment gap before it */
#define SIF_DESCR_CREATED_OFF 41     /* int64 */
#define SIF_DESCR_MODIFIED_OFF 49    /* int64 */
#define SIF_DESCR_UID_OFF 57         /* int64, deprecated, 0 */
#define SIF_DESCR_GID_OFF 65         /* int64, deprecated, 0 */
#define SIF_DESCR_NAME_OFF 73        /* char[128], NUL-padded */
#define SIF_DESCR_NAME_LEN 128
#define SIF_DESCR_EXTRA_OFF 201 /* 384 bytes, per data type (below) */
#define SIF_DESCR_EXTRA_LEN 384
#define SIF_DESCR_LEN 585

#define SIF_GROUP_MASK 0xf0000000u /* set in GroupID; in LinkedID: a group */
#define SIF_DEFAULT_GROUP 1        /* every object's group unless told */

/* --- Data types (sif.go, DataType: iota + 0x4001) --- */
enum sif_data_type {
	SIF_DATA_DEFFILE = 0x4001,
	SIF_DATA_ENVVAR = 0x4002,
	SIF_DATA_LABELS = 0x4003,
	SIF_DATA_PARTITION = 0x4004,
	SIF_DATA_SIGNATURE = 0x4005,
	SIF_DATA_GENERIC_JSON = 0x4006,
	SIF_DATA_GENERIC = 0x4007,
	SIF_DATA_CRYPTO_MESSAGE = 0x4008,
	SIF_DATA_SBOM = 0x4009,
	SIF_DATA_OCI_ROOT_INDEX = 0x400a, /* the OCI image index, JSON */
	SIF_DATA_OCI_BLOB = 0x400b,       /* manifest, config, layer... */
};

/* --- Partition Extra (descriptor.go, type partition): 11 bytes --- */
#define SIF_PART_FSTYPE_OFF 0   /* int32, SIF_FS_* */
#define SIF_PART_PARTTYPE_OFF 4 /* int32, SIF_PART_* */
#define SIF_PART_ARCH_OFF 8     /* char[3], as the header's arch */
#define SIF_PART_ARCH_LEN 3

enum sif_fs_type {
	SIF_FS_SQUASH = 1,
	SIF_FS_EXT3 = 2,
	SIF_FS_IMMUOBJ = 3,
	SIF_FS_RAW = 4,
	SIF_FS_ENCRYPTED_SQUASHFS = 5,
};

enum sif_part_type {
	SIF_PART_SYSTEM = 1,
	SIF_PART_PRIMSYS = 2, /* the root filesystem: at most one per file */
	SIF_PART_DATA = 3,
	SIF_PART_OVERLAY = 4,
};

/* Arch codes in the header and the partition Extra (arch.go): two ASCII
 * digits and a NUL. "00" is unknown. */
#define SIF_ARCH_UNKNOWN "00"
#define SIF_ARCH_386 "01"
#define SIF_ARCH_AMD64 "02"
#define SIF_ARCH_ARM "03"
#define SIF_ARCH_ARM64 "04"
#define SIF_ARCH_PPC64 "05"
#define SIF_ARCH_PPC64LE "06"
#define SIF_ARCH_MIPS "07"
#define SIF_ARCH_MIPSLE "08"
#define SIF_ARCH_MIPS64 "09"
#define SIF_ARCH_MIPS64LE "10"
#define SIF_ARCH_S390X "11"
#define SIF_ARCH_RISCV64 "12"
#define SIF_ARCH_LOONG64 "13"

/* --- OCI root index and blob Extra (descriptor.go, type ociBlob) ---
 * The object's digest as text, "sha256:" + 64 lower-case hex (v1.Hash's
 * MarshalText), at the start of Extra, NUL-padded to 384 bytes. The
 * library computes it while writing the bytes; readers must still check
 * it against them, and against the index/manifest that names the blob. */
#define SIF_OCI_DIGEST_PREFIX "sha256:"
#define SIF_OCI_DIGEST_LEN (7 + 64)

/* --- Alignment of data objects (descriptor_input.go, NewDescriptorInput,
 * sif >= v2.10): partitions start on a 4096-byte boundary; every other
 * object, OCI blobs and root index included, directly follows the one
 * before (alignment 0). SizeWithPadding counts the gap before an object.
 * Objects are written in descriptor order, each after the previous one. */
#define SIF_PARTITION_ALIGN 4096

/* --- OCI-SIF object order (oci-tools pkg/sif/write.go, writeIndex): for
 * each manifest of the index, its layers in manifest order, then its
 * config, then the manifest itself, all DataOCIBlob; last, the index as
 * the one DataOCIRootIndex. SingularityCE's layers are squashfs: */
#define SIF_OCI_SQUASHFS_LAYER_MEDIA_TYPE "application/vnd.sylabs.image.layer.v1.squashfs"

#endif
