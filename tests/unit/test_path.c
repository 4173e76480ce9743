#include "../../common/path.h"
#include "unit.h"

int main(void)
{
	CHECK(path_is_clean_absolute("/"), "/ is clean");
	CHECK(path_is_clean_absolute("/a/b.c/..d"), "names starting with dots are clean");
	CHECK(!path_is_clean_absolute(""), "empty is not");
	CHECK(!path_is_clean_absolute("a/b"), "relative is not");
	CHECK(!path_is_clean_absolute("/a/"), "trailing slash is not");
	CHECK(!path_is_clean_absolute("//a"), "double slash is not");
	CHECK(!path_is_clean_absolute("/a/./b"), "a '.' component is not");
	CHECK(!path_is_clean_absolute("/a/.."), "a final '..' is not");
	return unit_done();
}
