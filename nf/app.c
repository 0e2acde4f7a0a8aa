/* SPDX-License-Identifier: MIT */
/* app.c - create, configure and reload a function on its ports (app.h). */
#include "nf/app.h"

/* A port the config names (`port 0 name inside`) carries that name in the
 * counters; the others keep their driver's (vnetN, portN). */
static void name_ports(struct app *a)
{
	for (uint16_t i = 0; i < a->n_ports; i++) {
		const char *name = cfg_port_name(a->cfg, i);
		if (name)
			snprintf(a->ports[i]->name, sizeof(a->ports[i]->name), "%s", name);
	}
}

int app_init(struct app *a, const struct nf_ops *nf, const struct nf_env *env,
	     struct port *const *ports, uint16_t n, struct cfg *cfg, struct cfg_errors *errs)
{
	memset(a, 0, sizeof(*a));
	a->nf = nf;
	a->cfg = cfg;
	a->n_ports = (uint16_t)SYS_MIN(n, PORT_MAX);
	for (uint16_t i = 0; i < a->n_ports; i++)
		a->ports[i] = ports[i];
	a->st = nf->create(env);
	if (!a->st)
		return -SYS_ENOMEM;
	if (nf->configure(a->st, cfg, errs) < 0 || errs->count)
		return -SYS_EINVAL;
	name_ports(a);
	loop_init(&a->loop, nf, a->st, a->ports, a->n_ports);
	return 0;
}

int app_reload(struct app *a, const char *name, const char *text, size_t len,
	       struct cfg_errors *errs)
{
	struct cfg *cfg = NULL;
	/* No loader: the host flattened the includes. */
	int rc = cfg_parse(name, text, len, NULL, NULL, &cfg, errs);
	if (rc < 0 || !cfg)
		rc = rc < 0 ? rc : -SYS_EINVAL;
	else
		rc = a->nf->configure(a->st, cfg, errs);
	if (rc < 0) {
		cfg_free(cfg);
		return rc;
	}
	/* The function has swapped everything over to the new config. */
	cfg_free(a->cfg);
	a->cfg = cfg;
	name_ports(a);
	return 0;
}

int app_control(struct app *a, const char *cmd, char *ans, size_t n)
{
	const char *sp = strchr(cmd, ' ');
	size_t nl = sp ? (size_t)(sp - cmd) : strlen(cmd);
	const char *args = cmd + nl + (cmd[nl] == ' ');
	/* The name guards against a command meant for another image: `nfbox
	 * lb` sent to a NAT must not be taken as the NAT's own. */
	if (strlen(a->nf->name) != nl || strncmp(cmd, a->nf->name, nl) != 0) {
		snprintf(ans, n, "'%.*s' commands are not supported by this function (this image runs %s)",
			 (int)SYS_MIN(nl, 32u), cmd, a->nf->name);
		return -SYS_ENOTSUP;
	}
	if (!a->nf->control) {
		snprintf(ans, n, "not supported by this function (%s takes no commands)", a->nf->name);
		return -SYS_ENOTSUP;
	}
	return a->nf->control(a->st, args, ans, n);
}

void app_fini(struct app *a)
{
	if (a->st)
		a->nf->destroy(a->st);
	a->st = NULL;
	cfg_free(a->cfg);
	a->cfg = NULL;
}
