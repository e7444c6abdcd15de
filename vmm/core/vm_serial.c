// SPDX-License-Identifier: MIT
/*
 * The console's serial device: whichever the board has (16550 or PL011),
 * driven through one small interface so the console layer's guarantees
 * (nothing dropped, input paced by how fast the guest drains the FIFO,
 * --expect, Ctrl-A x) hold on every board. Both devices take the same
 * struct uart_ops host side.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/arm64/layout.h"
#include "vmm/core/vm_internal.h"

/* One serial device model, its calls made on the struct vm's instance. */
struct vm_serial_ops {
	const char *name;
	void *(*dev)(struct vm *vm);
	void (*init)(void *dev, const struct uart_ops *ops);
	void (*destroy)(void *dev);
	void (*reset)(void *dev);
	size_t (*receive)(void *dev, const uint8_t *buf, size_t len);
	mmio_handler_fn mmio;
};

static void *ns16550_dev(struct vm *vm) { return &vm->uart; }
static void ns16550_init(void *dev, const struct uart_ops *ops) { uart_init(dev, ops); }
static void ns16550_destroy(void *dev) { uart_destroy(dev); }
static void ns16550_reset(void *dev) { uart_reset(dev); }

static size_t ns16550_receive(void *dev, const uint8_t *buf, size_t len)
{
	return uart_receive(dev, buf, len);
}

static const struct vm_serial_ops ns16550_ops = {
	.name = "uart", .dev = ns16550_dev, .init = ns16550_init, .destroy = ns16550_destroy,
	.reset = ns16550_reset, .receive = ns16550_receive, .mmio = uart_mmio,
};

static void *pl011_dev(struct vm *vm) { return &vm->pl011; }
static void pl011_init_dev(void *dev, const struct uart_ops *ops) { pl011_init(dev, ops); }
static void pl011_destroy_dev(void *dev) { pl011_destroy(dev); }
static void pl011_reset_dev(void *dev) { pl011_reset(dev); }

static size_t pl011_receive_dev(void *dev, const uint8_t *buf, size_t len)
{
	return pl011_receive(dev, buf, len);
}

static const struct vm_serial_ops pl011_ops = {
	.name = "pl011", .dev = pl011_dev, .init = pl011_init_dev, .destroy = pl011_destroy_dev,
	.reset = pl011_reset_dev, .receive = pl011_receive_dev, .mmio = pl011_mmio,
};

static const struct vm_serial_ops *ops_for(enum board_console kind)
{
	switch (kind) {
	case BOARD_CONSOLE_NS16550:	return &ns16550_ops;
	case BOARD_CONSOLE_PL011:	return &pl011_ops;
	}
	return NULL;
}

static void serial_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	console_output(&vm->console, buf, len);
	vm_smoke_output(vm, buf, len);
}

static void serial_input_drained(void *opaque)
{
	struct vm *vm = opaque;

	eventfd_signal(vm->uart_space_efd);	/* fails only when already signalled */
}

static void serial_set_irq(void *opaque, bool level)
{
	struct vm *vm = opaque;

	kvm_irq_line(&vm->kvm, LAYOUT_SPI_BASE + vm->board->uart_spi, level);
}

int vm_serial_add(struct vm *vm, struct tvm_error *err)
{
	const struct vm_serial_ops *s = ops_for(vm->board->console);
	struct uart_ops ops = { .tx = serial_tx, .set_irq = serial_set_irq,
				.rx_drained = serial_input_drained, .opaque = vm };

	if (!s)
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "--machine %s: unknown console device", vm->board->name);
	vm->uart_space_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->uart_space_efd < 0)
		return tvm_fail_errno(err, TVM_ERR_HOST, TVM_EXIT_ERROR,
				      "eventfd: %s", strerror(errno));
	s->init(s->dev(vm), &ops);
	vm->serial = s;
	if (mmio_bus_register(&vm->bus, vm->board->uart.base, vm->board->uart.size, s->mmio,
			      s->dev(vm), s->name))
		return tvm_fail_kind(err, TVM_ERR_INTERNAL, TVM_EXIT_ERROR,
				     "cannot register the %s", s->name);
	return 0;
}

size_t vm_serial_receive(struct vm *vm, const uint8_t *buf, size_t len)
{
	return vm->serial->receive(vm->serial->dev(vm), buf, len);
}

void vm_serial_reset(struct vm *vm)
{
	vm->serial->reset(vm->serial->dev(vm));
}

void vm_serial_destroy(struct vm *vm)
{
	if (vm->serial)
		vm->serial->destroy(vm->serial->dev(vm));
	vm->serial = NULL;
	if (vm->uart_space_efd >= 0)
		close(vm->uart_space_efd);
	vm->uart_space_efd = -1;
}
