/* cort_graph_check_and_sort on graphs built with the IR constructors: order, stability, outer
 * references through nested subgraphs, and the errors (cycles, undefined inputs, double producers). */
#include <string.h>

#include "check.h"
#include "ir/ir.h"

static cort_model *model;

static cort_graph *new_graph(cort_graph *parent) {
    cort_graph *g = cort_graph_new(&model->pool, parent, parent ? "sub" : "main");
    if (!parent) model->graph = g;
    return g;
}

/* A node with one output and up to two inputs (NULL input: none; "" input: omitted). */
static cort_node *add(cort_graph *g, const char *name, const char *in1, const char *in2, const char *out) {
    int n_in = in2 ? 2 : in1 ? 1 : 0;
    cort_node *n = cort_graph_add_node(g, "Op", "", name, n_in, 1, 0);
    const char *ins[2] = {in1, in2};
    for (int i = 0; i < n_in; i++) n->inputs[i] = *ins[i] ? cort_graph_value(g, ins[i]) : -1;
    n->outputs[0] = cort_graph_value(g, out);
    return n;
}

static void input(cort_graph *g, const char *name) { CHECK_OK(cort_graph_add_input(g, cort_graph_value(g, name))); }
static void output(cort_graph *g, const char *name) { CHECK_OK(cort_graph_add_output(g, cort_graph_value(g, name))); }

/* Gives node n one graph attribute holding `sub`. */
static void attach(cort_node *n, cort_graph *sub) {
    cort_attr *a = cort_pool_calloc(&model->pool, 1, sizeof *a);
    a->name = "body";
    a->type = CORT_ATTR_GRAPH;
    a->g = sub;
    n->attrs = a;
    n->n_attrs = 1;
}

static void fresh(void) {
    cort_model_free(model);
    model = NULL;
    CHECK_OK(cort_model_new(&model));
}

static void expect_error(const char *needle) {
    cort_status *st = cort_graph_check_and_sort(model->graph);
    CHECK(st != NULL);
    if (st && !strstr(cort_status_message(st), needle)) {
        fprintf(stderr, "expected '%s' in: %s\n", needle, cort_status_message(st));
        check_failures++;
    }
    cort_status_free(st);
}

static const char *order(const cort_graph *g, char *buf) {
    buf[0] = 0;
    for (int i = 0; i < g->n_nodes; i++) strcat(buf, g->nodes[i]->name);
    return buf;
}

static void test_sort(void) {
    char buf[64];
    fresh();
    cort_graph *g = new_graph(NULL);
    input(g, "x");
    add(g, "d", "c", "b", "y");
    add(g, "c", "b", NULL, "c");
    add(g, "b", "a", "", "b"); /* an omitted optional input */
    add(g, "a", "x", NULL, "a");
    output(g, "y");
    CHECK_OK(cort_graph_check_and_sort(g));
    CHECK(!strcmp(order(g, buf), "abcd"));
    CHECK(g->values[cort_graph_find(g, "c")].producer == 2);
    CHECK(g->values[cort_graph_find(g, "x")].producer == -1);

    /* independent nodes keep their order; an ordered graph is unchanged */
    fresh();
    g = new_graph(NULL);
    input(g, "x");
    add(g, "p", "x", NULL, "p");
    add(g, "q", "x", NULL, "q");
    add(g, "r", "q", "p", "r");
    add(g, "s", "x", NULL, "s");
    output(g, "r");
    output(g, "s");
    CHECK_OK(cort_graph_check_and_sort(g));
    CHECK(!strcmp(order(g, buf), "pqrs"));
    /* nodes with no inputs at all (constants) and initializers */
    fresh();
    g = new_graph(NULL);
    int w = cort_graph_value(g, "w");
    g->values[w].flags |= CORT_VF_INITIALIZER;
    add(g, "m", "k", "w", "y");
    add(g, "k", NULL, NULL, "k");
    output(g, "y");
    CHECK_OK(cort_graph_check_and_sort(g));
    CHECK(!strcmp(order(g, buf), "km"));
}

static void test_subgraphs(void) {
    char buf[64];
    /* `loop` holds a subgraph reading `late`, produced by a node listed after it; that subgraph holds
     * another reading the top-level input and its parent's own value */
    fresh();
    cort_graph *g = new_graph(NULL);
    input(g, "x");
    cort_node *loop = add(g, "L", "x", NULL, "y");
    add(g, "P", "x", NULL, "late");
    output(g, "y");
    cort_graph *sub = new_graph(g);
    add(sub, "s1", "late", NULL, "t");
    cort_node *inner_holder = add(sub, "s2", "t", NULL, "u");
    output(sub, "u");
    attach(loop, sub);
    cort_graph *subsub = new_graph(sub);
    add(subsub, "ss", "x", "t", "v");
    output(subsub, "v");
    attach(inner_holder, subsub);
    CHECK_OK(cort_graph_check_and_sort(g));
    CHECK(!strcmp(order(g, buf), "PL"));
    CHECK(sub->values[cort_graph_find(sub, "late")].flags & CORT_VF_OUTER);
    CHECK(subsub->values[cort_graph_find(subsub, "x")].flags & CORT_VF_OUTER);
    CHECK(subsub->values[cort_graph_find(subsub, "t")].flags & CORT_VF_OUTER);
    CHECK(!(sub->values[cort_graph_find(sub, "t")].flags & CORT_VF_OUTER));
    CHECK(cort_graph_find(g, "t") < 0);

    /* a subgraph whose output is an outer value directly */
    fresh();
    g = new_graph(NULL);
    input(g, "x");
    cort_node *holder = add(g, "H", "x", NULL, "y");
    output(g, "y");
    sub = new_graph(g);
    output(sub, "x");
    attach(holder, sub);
    CHECK_OK(cort_graph_check_and_sort(g));
    CHECK(sub->values[cort_graph_find(sub, "x")].flags & CORT_VF_OUTER);

    /* a subgraph reading the output of the node that holds it: a cycle */
    fresh();
    g = new_graph(NULL);
    input(g, "x");
    holder = add(g, "self", "x", NULL, "y");
    output(g, "y");
    sub = new_graph(g);
    add(sub, "in", "y", NULL, "z");
    output(sub, "z");
    attach(holder, sub);
    expect_error("'self'");

    /* a subgraph reading something nobody defines */
    fresh();
    g = new_graph(NULL);
    input(g, "x");
    holder = add(g, "H", "x", NULL, "y");
    output(g, "y");
    sub = new_graph(g);
    add(sub, "reader", "ghost", NULL, "z");
    output(sub, "z");
    attach(holder, sub);
    expect_error("node 'reader' (Op, opset 0): input 'ghost' is not defined");
}

static void test_errors(void) {
    fresh();
    cort_graph *g = new_graph(NULL);
    input(g, "x");
    add(g, "a", "x", "q", "p");
    add(g, "b", "p", NULL, "q");
    output(g, "q");
    expect_error("node 'a' (Op, opset 0): is part of a cycle");

    fresh();
    g = new_graph(NULL);
    input(g, "x");
    add(g, "a", "nothing", NULL, "y");
    output(g, "y");
    expect_error("input 'nothing' is not defined");

    fresh();
    g = new_graph(NULL);
    input(g, "x");
    add(g, "a", "x", NULL, "y");
    add(g, "b", "x", NULL, "y");
    output(g, "y");
    expect_error("node 'b' (Op, opset 0): output 'y' is already produced by node 'a'");

    fresh();
    g = new_graph(NULL);
    input(g, "x");
    add(g, "a", "x", NULL, "y");
    output(g, "missing");
    expect_error("output 'missing' is not defined");

    fresh();
    g = new_graph(NULL);
    input(g, "x");
    add(g, "a", "x", NULL, "x");
    output(g, "x");
    expect_error("also a graph input");

    cort_status *st = cort_graph_check_and_sort(NULL);
    CHECK(st != NULL);
    cort_status_free(st);
}

int main(void) {
    test_sort();
    test_subgraphs();
    test_errors();
    cort_model_free(model);
    return check_report("test_ir_check");
}
