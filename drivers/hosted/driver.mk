# drivers/hosted: the platform services of nfb/sys.h on Linux.  Hosted only.
HOSTED_DRIVER_SRC += $(wildcard drivers/hosted/*.c)
