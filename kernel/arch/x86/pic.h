/* pic.h: the two 8259A interrupt controllers, remapped to vectors 32-47. */
#ifndef ARCH_X86_PIC_H
#define ARCH_X86_PIC_H
#include <stdint.h>

void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);
/* 1 if the IRQ (7 or 15) is genuinely in service, 0 if it is spurious. */
int pic_in_service(int irq);

#endif
