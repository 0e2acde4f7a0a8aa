# drivers/pcap: pcap files and in-memory traces as ports.  Hosted only.
HOSTED_DRIVER_SRC += $(wildcard drivers/pcap/*.c)
