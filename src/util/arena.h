/* arena.h: bump allocator for variable-length bytes (strings) of a batch.
 *
 * Memory is owned by the arena and freed all at once by sl_arena_reset/free.
 * Blocks grow geometrically; a reset keeps the largest block for reuse, so a
 * steady-state pipeline does no malloc per batch.
 */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_arena_block sl_arena_block;

typedef struct sl_arena {
    sl_arena_block *head; /* current block (newest) */
    size_t used;          /* bytes handed out since last reset (all blocks) */
    size_t reserved;      /* bytes held in blocks */
} sl_arena;

void sl_arena_init(sl_arena *a);
/* Returns NULL on allocation failure. Alignment 8. */
void *sl_arena_alloc(sl_arena *a, size_t n);
/* Make room for n more bytes (allocations of total rounded size n) without
 * a later malloc: a new block of exactly what is missing when the current one
 * is short.  For copies whose size is known up front, so a small batch does
 * not hold a default-sized block.  Returns false on allocation failure. */
bool sl_arena_reserve(sl_arena *a, size_t n);
/* Copy n bytes into the arena; NULL on failure. */
void *sl_arena_dup(sl_arena *a, const void *p, size_t n);
/* Forget all allocations, keep one block for reuse. */
void sl_arena_reset(sl_arena *a);
void sl_arena_free(sl_arena *a);

#endif
