// SPDX-License-Identifier: GPL-2.0
#include "mc_test.h"

int mc_failed_checks;
const char *mc_first_failure;
int mc_first_line;
int mc_tests_passed, mc_tests_failed;

int main(void)
{
	test_mmt();
	test_cbe();
	test_hash();
	test_list();
	test_keys();
	printf("%d passed, %d failed\n", mc_tests_passed, mc_tests_failed);
	return mc_tests_failed ? 1 : 0;
}
