/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny compatibility layer so that the algorithms in lib/ build both into
 * the kernel module and into the user-space unit tests.
 */
#ifndef MC_COMPAT_H
#define MC_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/kernel.h>
#else
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

#endif /* MC_COMPAT_H */
