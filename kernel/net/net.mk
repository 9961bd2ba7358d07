# kernel/net: the network stack. NET_CORE_SRCS are portable (they also
# build on the host, for the fuzz targets in tests/fuzz/); the rest is the
# kernel's glue and the shell's network commands.
NET_CORE_SRCS := $(addprefix kernel/net/, net.c arp.c ip.c icmp.c udp.c dhcp.c tcp.c http.c json.c json_write.c)
KERNEL_OBJS += $(NET_CORE_SRCS:kernel/%.c=$(BUILD)/kernel/%.o) \
	$(addprefix $(BUILD)/kernel/, net/net_kernel.o net/server.o net/api.o net/api_request.o drivers/e1000.o \
		shell/cmd_net.o shell/cmd_serve.o)
# The API's files see the engine's public header (llm.h) too.
$(addprefix $(BUILD)/kernel/, net/api.o net/api_request.o shell/cmd_serve.o): KERNEL_CFLAGS += -Illm
