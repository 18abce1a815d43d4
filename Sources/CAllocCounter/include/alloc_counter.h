#ifndef ALLOC_COUNTER_H
#define ALLOC_COUNTER_H
/* Counts heap allocations made by this process (benchmark binary only:
   its malloc family interposes glibc's). */
unsigned long alloc_counter_get(void);
#endif
