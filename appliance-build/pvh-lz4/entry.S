/* Entry of the packed kernel (see ../pack-kernel), booted by qemu through
 * the PVH ABI: 32-bit protected mode, flat segments, paging off, %ebx the
 * physical address of the hvm_start_info block, no stack.
 *
 * Unpacks the kernel's segments in place (unpack.c), puts the packer's
 * parameters in front of the kernel command line, and jumps to the
 * kernel's own PVH entry with %ebx unchanged. Position independent: the
 * packer may put this code at any address. */
	.code32
	.text
	.globl _start
_start:
	cli
	cld
	call 1f
1:	popl %ebp
	leal (stack_top - 1b)(%ebp), %esp
	pushl %ebx
	leal (cmdline_buf - 1b)(%ebp), %eax
	pushl %eax
	pushl %ebx
	leal (params - 1b)(%ebp), %eax
	pushl %eax
	call pvh_unpack
	addl $12, %esp
	popl %ebx
	testl %eax, %eax
	jnz fail
	movl (params + 4 - 1b)(%ebp), %eax
	jmp *%eax

/* A payload that does not unpack: load an empty IDT and trap, a triple
 * fault, so that qemu (-no-reboot) exits at once instead of hanging. */
fail:
	leal (empty_idt - 1b)(%ebp), %eax
	lidt (%eax)
	int3
	hlt
	jmp fail

	.data
	.p2align 3
empty_idt:
	.word 0
	.long 0
	.p2align 3
/* Filled in by pack-kernel: struct pvh_params (unpack.c). Its first word
 * is the marker the packer looks for. */
	.globl params
params:
	.long 0x6b4c5a34	/* "4ZLk" */
	.space 4 + 4 + 16 * 20 + 4 + 256, 0
/* The new command line: the parameters, a space, qemu's command line. It
 * must outlive the stub until the kernel copies it (copy_bootdata, before
 * any allocation), so it lives here, past the kernel's end, not on the
 * stack or in memory the kernel clears first. */
	.p2align 4
cmdline_buf:
	.space 2048, 0
	.p2align 4
	.space 8192, 0
stack_top:
