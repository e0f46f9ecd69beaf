/* fuzz_codec.c: libFuzzer target for pq_decompress (and pq_compress round trips).
 *
 * Input layout:
 *   byte 0      codec selector: low 4 bits % 9 = codec value 0..8 (8 is an
 *               unknown codec); bit 7 set = round-trip mode
 *   bytes 1..4  little-endian claimed uncompressed size, capped at 1 MiB
 *   rest        compressed data (decompress mode) or plain data (round trip)
 * The destination is an exact-size heap block so ASan catches any overrun.
 */
#include <stdlib.h>
#include <string.h>

#include "parquet/codec.h"

#define MAX_OUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    pq_codec codec = (pq_codec)((data[0] & 0x0f) % 9);
    int roundtrip = (data[0] & 0x80) != 0;
    uint32_t claimed = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                       (uint32_t)data[4] << 24;
    size_t dstlen = claimed % (MAX_OUT + 1);
    const uint8_t *body = data + 5;
    size_t blen = size - 5;
    char err[SL_ERRLEN];

    if (roundtrip) {
        uint8_t *comp = NULL;
        size_t clen = 0;
        int level = (int)(claimed % 12);
        if (pq_compress(codec, level, body, blen, &comp, &clen, err, sizeof err) != SL_OK) {
            if (pq_codec_supported(codec)) abort(); /* every supported codec compresses */
            return 0;
        }
        uint8_t *out = malloc(blen ? blen : 1);
        if (pq_decompress(codec, comp, clen, out, blen, err, sizeof err) != SL_OK) abort();
        if (blen && memcmp(out, body, blen) != 0) abort();
        free(out);
        free(comp);
        return 0;
    }

    /* copy so reads past the end of the compressed data are caught too */
    uint8_t *src = malloc(blen ? blen : 1);
    if (blen) memcpy(src, body, blen);
    uint8_t *dst = malloc(dstlen ? dstlen : 1);
    err[0] = '\0';
    sl_err rc = pq_decompress(codec, src, blen, dst, dstlen, err, sizeof err);
    if (rc != SL_OK && err[0] == '\0') abort(); /* every failure has a message */
    free(dst);
    free(src);
    return 0;
}
