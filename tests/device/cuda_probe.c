/* cuda_probe: the CUDA driver API without the CUDA toolkit, for
 * tests/device/gpu-check.sh. dlopen()s libcuda.so.1 (which `ochre exec
 * --nv` or a CDI spec brings into the container), initialises it, names
 * every device, and copies a buffer to device 0 and back.
 *
 * Prints "cuda: N device(s)", one "cuda: device I: NAME" line each, and
 * "cuda: memcpy round trip ok"; exits 0 only if all of it worked. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The few declarations needed, as cuda.h has them (CUDA 3.2+ ABI: the
 * _v2 entry points take 64-bit device pointers and sizes). */
typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef unsigned long long CUdeviceptr;

struct cuda {
	CUresult (*init)(unsigned int flags);
	CUresult (*device_get_count)(int *count);
	CUresult (*device_get)(CUdevice *dev, int ordinal);
	CUresult (*device_get_name)(char *name, int len, CUdevice dev);
	CUresult (*ctx_create)(CUcontext *ctx, unsigned int flags, CUdevice dev);
	CUresult (*ctx_destroy)(CUcontext ctx);
	CUresult (*mem_alloc)(CUdeviceptr *p, size_t size);
	CUresult (*mem_free)(CUdeviceptr p);
	CUresult (*memcpy_htod)(CUdeviceptr dst, const void *src, size_t size);
	CUresult (*memcpy_dtoh)(void *dst, CUdeviceptr src, size_t size);
	CUresult (*get_error_name)(CUresult err, const char **name);
};

static void *sym(void *lib, const char *name)
{
	void *p = dlsym(lib, name);
	if (!p) {
		fprintf(stderr, "cuda: %s missing from libcuda.so.1\n", name);
		exit(1);
	}
	return p;
}

static int check(const struct cuda *c, CUresult r, const char *what)
{
	if (r == 0)
		return 0;
	const char *name = NULL;
	if (c->get_error_name)
		c->get_error_name(r, &name);
	fprintf(stderr, "cuda: %s failed: %d (%s)\n", what, r, name ? name : "?");
	return -1;
}

int main(void)
{
	void *lib = dlopen("libcuda.so.1", RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "cuda: dlopen libcuda.so.1: %s\n", dlerror());
		return 1;
	}
	struct cuda c = {
		.init = sym(lib, "cuInit"),
		.device_get_count = sym(lib, "cuDeviceGetCount"),
		.device_get = sym(lib, "cuDeviceGet"),
		.device_get_name = sym(lib, "cuDeviceGetName"),
		.ctx_create = sym(lib, "cuCtxCreate_v2"),
		.ctx_destroy = sym(lib, "cuCtxDestroy_v2"),
		.mem_alloc = sym(lib, "cuMemAlloc_v2"),
		.mem_free = sym(lib, "cuMemFree_v2"),
		.memcpy_htod = sym(lib, "cuMemcpyHtoD_v2"),
		.memcpy_dtoh = sym(lib, "cuMemcpyDtoH_v2"),
		.get_error_name = dlsym(lib, "cuGetErrorName"),
	};
	int n = 0;
	if (check(&c, c.init(0), "cuInit") < 0 || check(&c, c.device_get_count(&n), "cuDeviceGetCount") < 0)
		return 1;
	printf("cuda: %d device(s)\n", n);
	if (n < 1)
		return 1;
	for (int i = 0; i < n; i++) {
		CUdevice dev;
		char name[256] = "";
		if (check(&c, c.device_get(&dev, i), "cuDeviceGet") < 0 ||
		    check(&c, c.device_get_name(name, sizeof name, dev), "cuDeviceGetName") < 0)
			return 1;
		printf("cuda: device %d: %s\n", i, name);
	}

	CUdevice dev;
	CUcontext ctx;
	CUdeviceptr dptr;
	enum { LEN = 1 << 20 };
	unsigned char *in = malloc(LEN), *out = calloc(1, LEN);
	if (!in || !out)
		return 1;
	for (size_t i = 0; i < LEN; i++)
		in[i] = (unsigned char)(i * 31 + 7);
	if (check(&c, c.device_get(&dev, 0), "cuDeviceGet") < 0 ||
	    check(&c, c.ctx_create(&ctx, 0, dev), "cuCtxCreate") < 0 ||
	    check(&c, c.mem_alloc(&dptr, LEN), "cuMemAlloc") < 0 ||
	    check(&c, c.memcpy_htod(dptr, in, LEN), "cuMemcpyHtoD") < 0 ||
	    check(&c, c.memcpy_dtoh(out, dptr, LEN), "cuMemcpyDtoH") < 0)
		return 1;
	int same = memcmp(in, out, LEN) == 0;
	c.mem_free(dptr);
	c.ctx_destroy(ctx);
	if (!same) {
		fprintf(stderr, "cuda: the bytes read back differ from those written\n");
		return 1;
	}
	printf("cuda: memcpy round trip ok\n");
	return 0;
}
