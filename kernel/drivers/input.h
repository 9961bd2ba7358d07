/* input.h: a byte/key ring buffer filled by an interrupt handler and drained by
 * the console; single producer (IRQ) and single consumer (kernel), so the
 * indices need no lock. A full ring drops new input rather than old. Ctrl+C
 * (byte 3) also raises `cancel`, which long-running commands poll. */
#ifndef DRIVERS_INPUT_H
#define DRIVERS_INPUT_H

#define INPUT_RING_SIZE 4096

struct input_ring {
    volatile unsigned head, tail;
    volatile int cancel;
    int data[INPUT_RING_SIZE];
};

static inline void input_ring_put(struct input_ring *r, int v)
{
    if (v == 3)
        r->cancel = 1;
    unsigned next = (r->head + 1) % INPUT_RING_SIZE;
    if (next == r->tail)
        return;
    r->data[r->head] = v;
    __asm__ volatile("" ::: "memory"); /* the slot is written before it is published */
    r->head = next;
}

/* Slots still free (one always stays empty to tell full from empty). */
static inline unsigned input_ring_free(const struct input_ring *r)
{
    return (r->tail + INPUT_RING_SIZE - r->head - 1) % INPUT_RING_SIZE;
}

static inline int input_ring_get(struct input_ring *r)
{
    if (r->tail == r->head)
        return -1;
    __asm__ volatile("" ::: "memory");
    int v = r->data[r->tail];
    r->tail = (r->tail + 1) % INPUT_RING_SIZE;
    if (v == 3) /* consumed as a key: it has done its job */
        r->cancel = 0;
    return v;
}

static inline void input_ring_flush(struct input_ring *r)
{
    r->tail = r->head;
    r->cancel = 0;
}

#endif
