/* The slow path of the lazy trampolines (trampolines.S): entered with the
 * symbol's index in %r11 and the caller's arguments still in their
 * registers. Saves every argument register (the integer ones, %rax for
 * variadic calls, %xmm0-7), asks gfs_lazy_resolve (lazy.c) for the
 * function's address, restores the registers and jumps to the function,
 * which returns straight to the original caller. */
#if defined(__x86_64__)
	.text
	.globl gfs_lazy_slow
	.hidden gfs_lazy_slow
	.type gfs_lazy_slow,@function
	.p2align 4
gfs_lazy_slow:
	pushq %rbp
	movq %rsp, %rbp
	subq $192, %rsp
	andq $-16, %rsp
	movdqa %xmm0, 0(%rsp)
	movdqa %xmm1, 16(%rsp)
	movdqa %xmm2, 32(%rsp)
	movdqa %xmm3, 48(%rsp)
	movdqa %xmm4, 64(%rsp)
	movdqa %xmm5, 80(%rsp)
	movdqa %xmm6, 96(%rsp)
	movdqa %xmm7, 112(%rsp)
	movq %rdi, 128(%rsp)
	movq %rsi, 136(%rsp)
	movq %rdx, 144(%rsp)
	movq %rcx, 152(%rsp)
	movq %r8, 160(%rsp)
	movq %r9, 168(%rsp)
	movq %rax, 176(%rsp)
	movl %r11d, %edi
	call gfs_lazy_resolve
	movq %rax, %r11
	movdqa 0(%rsp), %xmm0
	movdqa 16(%rsp), %xmm1
	movdqa 32(%rsp), %xmm2
	movdqa 48(%rsp), %xmm3
	movdqa 64(%rsp), %xmm4
	movdqa 80(%rsp), %xmm5
	movdqa 96(%rsp), %xmm6
	movdqa 112(%rsp), %xmm7
	movq 128(%rsp), %rdi
	movq 136(%rsp), %rsi
	movq 144(%rsp), %rdx
	movq 152(%rsp), %rcx
	movq 160(%rsp), %r8
	movq 168(%rsp), %r9
	movq 176(%rsp), %rax
	movq %rbp, %rsp
	popq %rbp
	jmp *%r11
	.size gfs_lazy_slow,.-gfs_lazy_slow
#endif
	.section .note.GNU-stack,"",@progbits
