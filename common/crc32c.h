/*
 * CRC-32C (Castagnoli), the checksum of Kafka's record batches (magic 2).
 *
 * crc32c() picks the SSE4.2 crc32 instruction when the CPU has it and a
 * slicing-by-8 table otherwise; both are exported so tests can hold each
 * against the known vectors.
 */
#ifndef GREGOR_COMMON_CRC32C_H
#define GREGOR_COMMON_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over n bytes at p and returns the new value. */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
uint32_t crc32c_sw(uint32_t crc, const void *p, size_t n);
/* Only call when crc32c_hw_available() is true. */
uint32_t crc32c_hw(uint32_t crc, const void *p, size_t n);
bool crc32c_hw_available(void);
/* True if crc32c_hw() folds long inputs with VPCLMULQDQ (AVX-512). */
bool crc32c_fold_available(void);

#endif
