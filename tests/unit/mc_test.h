/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny test framework: CHECK() records the first failure of a test
 * without aborting; RUN() prints one PASS:/FAIL: line per test.
 */
#ifndef MC_TEST_H
#define MC_TEST_H

#include <stdio.h>
#include <stdlib.h>

extern int mc_failed_checks;
extern const char *mc_first_failure;
extern int mc_first_line;
extern int mc_tests_passed, mc_tests_failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		if (!mc_failed_checks++) {				\
			mc_first_failure = #cond;			\
			mc_first_line = __LINE__;			\
		}							\
	}								\
} while (0)

#define RUN(fn) do {							\
	mc_failed_checks = 0;						\
	fn();								\
	if (mc_failed_checks) {						\
		printf("FAIL: unit/%s (%s, %s:%d)\n", #fn,		\
		       mc_first_failure, __FILE__, mc_first_line);	\
		mc_tests_failed++;					\
	} else {							\
		printf("PASS: unit/%s\n", #fn);			\
		mc_tests_passed++;					\
	}								\
} while (0)

/* Deterministic PRNG (xorshift64*) for randomized model tests. */
static inline unsigned long long mc_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

void test_mmt(void);
void test_cbe(void);
void test_hash(void);
void test_list(void);
void test_keys(void);

#endif
