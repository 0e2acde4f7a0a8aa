# image/image.mk - freestanding objects for unikernel images, and images.
#
# Included by the top-level Makefile.  Nothing here is compiled at
# `nfbox build` time: this fragment prebuilds every image object once, in
# build/image/, and `nfbox build` only links them (ld, nm, objcopy).
#
#   build/image/nfbox-base.o    kernel + image (the application) + image drivers
#                               + dataplane + config + control + nf/*.c helpers,
#                               one relocatable object
#   build/image/nf/<name>.o     one per nf/<name>/ directory
#   build/image/image.ld        the linker script
#   build/image/test/nf/*.o     test-only functions (tests/image/nf_*.c)
#   build/images/<name>.img     `make images`: one image per function
#
# `make install-image` copies the first three into $(PREFIX)/lib/nfbox.

IMG_B := $(B)/image
IMG_GCC_INC := $(shell $(CC) -print-file-name=include)

# -ffreestanding and no libc headers at all (-nostdinc; the compiler's own
# stdarg/stddef/stdint/stdbool stay).  -fbuiltin keeps memcpy & co. inlined
# for small constant sizes.  Frame pointers everywhere for backtraces; the
# stack protector reads a global canary (no TLS in the image).  No red zone:
# interrupts push onto the current stack.  Small code model, non-PIC: the
# image is linked at 1 MiB.
IMG_CFLAGS := -std=gnu11 -I. -Iinclude -march=x86-64-v2 -g $(WARN) -MMD -MP -fno-strict-aliasing -O2 \
	-ffreestanding -fbuiltin -nostdinc -isystem $(IMG_GCC_INC) \
	-fno-pic -fno-pie -mcmodel=small -mno-red-zone \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fstack-protector-strong -mstack-protector-guard=global \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fcf-protection=none \
	-ffunction-sections -fdata-sections -DNFB_IMAGE=1
IMG_ASFLAGS := -I. -Iinclude -g -DNFB_IMAGE=1
IMG_LD ?= ld

IMG_KERNEL_SRC := $(wildcard kernel/*.c kernel/*.S)
IMG_APP_SRC    := $(wildcard image/*.c)
IMG_DRIVER_SRC := $(IMAGE_DRIVER_SRC)
IMG_PORT_SRC   := $(wildcard dataplane/*.c config/*.c control/*.c nf/*.c)
IMG_NF_NAMES   := $(patsubst nf/%/,%,$(sort $(dir $(wildcard nf/*/*.c))))
IMG_TEST_NF_SRC := $(wildcard tests/image/nf_*.c)

# Compiled objects live under build/image/obj/ so that they never collide
# with the merged objects above.
img_obj = $(patsubst %.S,$(IMG_B)/obj/%.o,$(patsubst %.c,$(IMG_B)/obj/%.o,$(1)))

IMG_KERNEL_OBJ := $(call img_obj,$(IMG_KERNEL_SRC))
IMG_BASE_OBJ   := $(IMG_KERNEL_OBJ) $(call img_obj,$(IMG_APP_SRC) $(IMG_DRIVER_SRC) $(IMG_PORT_SRC))
IMG_NF_OBJS    := $(patsubst %,$(IMG_B)/nf/%.o,$(IMG_NF_NAMES))
IMG_TEST_NF_OBJS := $(patsubst tests/image/nf_%.c,$(IMG_B)/test/nf/%.o,$(IMG_TEST_NF_SRC))

# libc.c: keep GCC from recognising its loops as memset/memcpy calls.
$(IMG_B)/obj/kernel/libc.o: IMG_EXTRA := -fno-tree-loop-distribute-patterns
# Boot code runs before the canary is seeded, and k_start's frame stays
# live while it is: a check there would compare the old value with the new.
# (The few other functions that run first carry no_stack_protector:
# k_stack_guard_init in kernel/trap.c, k_rdrand_or_tsc in kernel/cpu.c.)
$(IMG_B)/obj/kernel/boot.o: IMG_EXTRA := -fno-stack-protector

$(IMG_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(IMG_CFLAGS) $(IMG_EXTRA) -c $< -o $@

$(IMG_B)/obj/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(IMG_ASFLAGS) -c $< -o $@

# One relocatable object for everything but the function.  -r keeps the
# nfb_nf section and every symbol; nothing is resolved yet.
$(IMG_B)/nfbox-base.o: $(IMG_BASE_OBJ)
	$(IMG_LD) -r -o $@ $^

# A function: all objects of nf/<name>/ merged.
.SECONDEXPANSION:
$(IMG_B)/nf/%.o: $$(call img_obj,$$(wildcard nf/%/*.c))
	@mkdir -p $(@D)
	$(IMG_LD) -r -o $@ $^

$(IMG_B)/test/nf/%.o: $(IMG_B)/obj/tests/image/nf_%.o
	@mkdir -p $(@D)
	$(IMG_LD) -r -o $@ $^

$(IMG_B)/image.ld: kernel/image.ld
	@mkdir -p $(@D)
	cp $< $@

.PHONY: image-objs images install-image
image-objs: $(IMG_B)/nfbox-base.o $(IMG_B)/image.ld $(IMG_NF_OBJS) $(IMG_TEST_NF_OBJS)

# Images are made by the builder itself, exactly as a user would.
IMAGES := $(patsubst %,$(B)/images/%.img,$(IMG_NF_NAMES))
images: $(IMAGES)
$(B)/images/%.img: $(B)/nfbox image-objs
	@mkdir -p $(@D)
	NFBOX_LIBDIR=$(IMG_B) $(B)/nfbox build $* -o $@

install-image: image-objs
	install -D -m 0644 $(IMG_B)/nfbox-base.o $(DESTDIR)$(PREFIX)/lib/nfbox/nfbox-base.o
	install -D -m 0644 $(IMG_B)/image.ld $(DESTDIR)$(PREFIX)/lib/nfbox/image.ld
	for o in $(IMG_NF_OBJS); do \
		install -D -m 0644 $$o $(DESTDIR)$(PREFIX)/lib/nfbox/nf/$$(basename $$o) || exit 1; \
	done
