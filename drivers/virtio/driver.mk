# drivers/virtio: the image's NICs (virtio-net over MMIO or PCI).  Image only;
# the unit tests include its portable files directly (tests/unit/test_virtqueue.c).
IMAGE_DRIVER_SRC += $(wildcard drivers/virtio/*.c)
