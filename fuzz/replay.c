// SPDX-License-Identifier: GPL-2.0-only
/*
 * Standalone driver for a fuzz target, without libFuzzer: replays every
 * file of the seed corpus (and of any directory or file named on the
 * command line) through LLVMFuzzerTestOneInput() and prints TAP.  Built
 * with ASan/UBSan into build/unit/, so `make check` replays the committed
 * corpora.  With --seeds DIR it writes the target's generated seeds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME (the target's name) must be defined"
#endif
#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS (the committed seed corpus directory) must be defined"
#endif

static const char *seed_dir;

static void emit(const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* Runs one file; false when it cannot be read. */
static bool replay_file(const char *path)
{
	uint8_t *buf;
	struct stat st;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st)) {
		if (f)
			fclose(f);
		return false;
	}
	/* an exact-size copy, so that ASan sees any read past the end */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		free(buf);
		return false;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return true;
}

/* Replays a file or every regular file of a directory; -1 on error. */
static long replay_path(const char *path)
{
	struct dirent **names;
	char sub[4096];
	long count = 0;
	struct stat st;
	int n, i;

	if (stat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode))
		return replay_file(path) ? 1 : -1;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && !stat(sub, &st) && S_ISREG(st.st_mode)) {
			if (!replay_file(sub))
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	long total = 0, n;
	int i, t = 0, fail = 0;

	if (argc == 3 && !strcmp(argv[1], "--seeds")) {
		if (!fuzz_seeds) {
			fprintf(stderr, "%s: no seed generator\n", FUZZ_NAME);
			return 1;
		}
		seed_dir = argv[2];
		fuzz_seeds(emit);
		return 0;
	}
	printf("TAP version 13\n1..%d\n", argc > 1 ? argc - 1 : 1);
	if (argc == 1) {
		n = replay_path(FUZZ_CORPUS);
		/* an empty corpus replays nothing: that is a failure too */
		printf("%sok 1 - fuzz target %s replays its %ld seed inputs\n",
		       n > 0 ? "" : "not ", FUZZ_NAME, n);
		return n > 0 ? 0 : 1;
	}
	for (i = 1; i < argc; i++) {
		n = replay_path(argv[i]);
		printf("%sok %d - %s: %ld inputs replayed\n", n >= 0 ? "" : "not ",
		       ++t, argv[i], n);
		fail |= n < 0;
		total += n > 0 ? n : 0;
	}
	(void)total;
	return fail;
}
