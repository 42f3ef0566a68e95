#!/usr/bin/env python3
"""Writes tests/fuzz/corpus/: small hand-crafted hostile ONNX models (standard library only).

Each file targets one way a model can be malformed: broken wire format, absurd shapes, bad graphs,
external data escaping the model's folder, runaway nesting and function expansion. The reader must
refuse every one with an error (a few are valid edge cases it must accept); it must never crash.
Run from anywhere: python3 tests/fuzz/make_corpus.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

VARINT, FIXED64, LEN, SGROUP, EGROUP, FIXED32 = 0, 1, 2, 3, 4, 5
FLOAT, INT64, STRING, BOOL = 1, 7, 8, 9


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def tag(field, wire):
    return varint((field << 3) | wire)


def f_varint(field, v):
    return tag(field, VARINT) + varint(v)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return tag(field, LEN) + varint(len(data)) + data


def f_fixed32(field, v):
    return tag(field, FIXED32) + struct.pack("<I", v)


def msg(field, *parts):
    return f_bytes(field, b"".join(parts))


def tensor(field, name, dims, elem=FLOAT, raw=None, extra=b""):
    body = b"".join(f_varint(1, d) for d in dims) + f_varint(2, elem) + f_bytes(8, name)
    if raw is not None:
        body += f_bytes(9, raw)
    return msg(field, body + extra)


def type_tensor(elem, dims=None):
    shape = b""
    if dims is not None:
        shape = msg(2, *[msg(1, f_varint(1, d)) for d in dims])
    return msg(1, f_varint(1, elem) + shape)


def value_info(field, name, elem=FLOAT, dims=None):
    return msg(field, f_bytes(1, name), msg(2, type_tensor(elem, dims)))


def node(op, ins, outs, name="n", domain="", attrs=b""):
    body = b"".join(f_bytes(1, i) for i in ins) + b"".join(f_bytes(2, o) for o in outs)
    body += f_bytes(3, name) + f_bytes(4, op) + attrs
    if domain:
        body += f_bytes(7, domain)
    return msg(1, body)


def attr_graph(name, graph_body):
    return msg(5, f_bytes(1, name), f_varint(20, 5), msg(6, graph_body))


def opset(domain, version, field=8):
    return msg(field, (f_bytes(1, domain) if domain else b"") + f_varint(2, version))


def model(graph_body, version=13, extra=b""):
    return f_varint(1, 8) + f_bytes(2, "corpus") + opset("", version) + extra + msg(7, graph_body)


def io(graph_body_nodes, inputs=("X",), outputs=("Y",)):
    return (graph_body_nodes + b"".join(value_info(11, i) for i in inputs)
            + b"".join(value_info(12, o) for o in outputs))


def relu_model(**kw):
    return model(io(node("Relu", ["X"], ["Y"])), **kw)


def external(location, offset="0", length=None):
    entries = msg(13, f_bytes(1, "location"), f_bytes(2, location))
    entries += msg(13, f_bytes(1, "offset"), f_bytes(2, offset))
    if length is not None:
        entries += msg(13, f_bytes(1, "length"), f_bytes(2, length))
    w = tensor(5, "W", [4], extra=entries + f_varint(14, 1))
    return model(w + io(node("Add", ["X", "W"], ["Y"])))


def nested_graphs(depth):
    """If nodes holding If nodes, `depth` deep, with as few bytes per level as the reader needs."""
    body = io(node("Relu", ["X"], ["Y"]))
    for _ in range(depth):
        body = msg(1, f_bytes(4, "If"), msg(5, f_bytes(1, "g"), f_varint(20, 5), msg(6, body)))
    return model(body)


def nested_types(depth):
    t = type_tensor(FLOAT)
    for _ in range(depth):
        t = msg(4, msg(1, t))  # sequence_type { elem_type { ... } }
    return model(node("Identity", ["X"], ["Y"]) + msg(11, f_bytes(1, "X"), msg(2, t)) + value_info(12, "Y"))


def function(name, body_nodes, inputs=("x",), outputs=("y",), domain="local"):
    return msg(25, f_bytes(1, name), f_bytes(10, domain), *[f_bytes(4, i) for i in inputs],
               *[f_bytes(5, o) for o in outputs], *body_nodes, opset("", 13, field=9))


def fnode(op, ins, outs, domain=""):
    return b"\x3a" + node(op, ins, outs, domain=domain)[1:]  # NodeProto as FunctionProto.node (field 7)


def exploding_functions(levels):
    """f_k calls f_{k-1} twice: 2^levels nodes if inlined naively."""
    funcs = [function("f0", [fnode("Relu", ["x"], ["y"])])]
    for k in range(1, levels + 1):
        funcs.append(function("f%d" % k, [fnode("f%d" % (k - 1), ["x"], ["t"], "local"),
                                          fnode("f%d" % (k - 1), ["t"], ["y"], "local")]))
    return model(io(node("f%d" % levels, ["X"], ["Y"], domain="local")), extra=opset("local", 1) + b"".join(funcs))


def sparse(indices, dims, nnz=2):
    values = tensor(1, "S", [nnz], raw=struct.pack("<%df" % nnz, *range(nnz)))
    idx = tensor(2, "", [len(indices)], INT64, raw=struct.pack("<%dq" % len(indices), *indices))
    sp = msg(15, values, idx, *[f_varint(3, d) for d in dims])
    return model(sp + io(node("Identity", ["S"], ["Y"]), inputs=()))


def corpus():
    c = {}
    valid = relu_model()
    c["valid_relu.onnx"] = valid
    c["empty.onnx"] = b""
    c["truncated_varint.onnx"] = b"\x08\xff\xff"
    c["overlong_varint.onnx"] = b"\x08" + b"\xff" * 10 + b"\x01"
    c["truncated_tag.onnx"] = b"\x80"
    c["length_beyond_end.onnx"] = tag(7, LEN) + varint(1000) + b"\x0a\x00"
    c["length_huge.onnx"] = tag(7, LEN) + varint((1 << 63) - 1)
    c["truncated_fixed32.onnx"] = tag(5, FIXED32) + b"\x01\x02"
    c["truncated_fixed64.onnx"] = tag(5, FIXED64) + b"\x01"
    c["field_zero.onnx"] = b"\x00\x00" + valid
    c["wire_type_7.onnx"] = b"\x0f" + valid
    c["stray_end_group.onnx"] = b"\x0c" + valid
    c["unterminated_group.onnx"] = tag(30, SGROUP) + valid
    c["groups_10000_deep.onnx"] = tag(30, SGROUP) * 10000 + tag(30, EGROUP) * 10000 + valid
    c["group_skipped_ok.onnx"] = tag(30, SGROUP) + f_varint(1, 5) + tag(30, EGROUP) + valid
    c["graph_wrong_wire.onnx"] = f_varint(7, 3)
    c["no_graph.onnx"] = f_varint(1, 8) + opset("", 13)
    c["huge_dims.onnx"] = model(tensor(5, "W", [1 << 40, 1 << 40], raw=b"") + io(node("Add", ["X", "W"], ["Y"])))
    c["dims_overflow_int64.onnx"] = model(tensor(5, "W", [(1 << 63) - 1, 4], raw=b"") + io(node("Add", ["X", "W"], ["Y"])))
    c["negative_dims.onnx"] = model(tensor(5, "W", [-1], raw=b"") + io(node("Add", ["X", "W"], ["Y"])))
    c["rank_17.onnx"] = model(tensor(5, "W", [1] * 17, raw=b"\0\0\0\0") + io(node("Add", ["X", "W"], ["Y"])))
    c["raw_size_mismatch.onnx"] = model(tensor(5, "W", [4], raw=b"\0" * 15) + io(node("Add", ["X", "W"], ["Y"])))
    c["float_data_short.onnx"] = model(tensor(5, "W", [4], extra=f_fixed32(4, 0)) + io(node("Add", ["X", "W"], ["Y"])))
    c["packed_ragged.onnx"] = model(tensor(5, "W", [4], extra=f_bytes(4, b"\0" * 7)) + io(node("Add", ["X", "W"], ["Y"])))
    c["unknown_elem_type.onnx"] = model(tensor(5, "W", [1], elem=77, raw=b"\0") + io(node("Add", ["X", "W"], ["Y"])))
    c["string_raw_data.onnx"] = model(tensor(5, "W", [1], elem=STRING, raw=b"\0" * 8) + io(node("Identity", ["W"], ["Y"]), inputs=()))
    c["string_count_mismatch.onnx"] = model(tensor(5, "W", [3], elem=STRING, extra=f_bytes(6, "a")) + io(node("Identity", ["W"], ["Y"]), inputs=()))
    c["segment.onnx"] = model(tensor(5, "W", [1], raw=b"\0" * 4, extra=msg(3, f_varint(1, 0))) + io(node("Identity", ["W"], ["Y"]), inputs=()))
    c["no_op_type.onnx"] = model(io(node("", ["X"], ["Y"])))
    c["cycle.onnx"] = model(io(node("Add", ["X", "Q"], ["P"], "a") + node("Relu", ["P"], ["Q"], "b"), outputs=("Q",)))
    c["self_loop.onnx"] = model(io(node("Add", ["X", "Y"], ["Y"])))
    c["undefined_input.onnx"] = model(io(node("Relu", ["Z"], ["Y"])))
    c["undefined_output.onnx"] = model(io(node("Relu", ["X"], ["Y"]), outputs=("Nope",)))
    c["produced_twice.onnx"] = model(io(node("Relu", ["X"], ["Y"], "a") + node("Abs", ["X"], ["Y"], "b")))
    c["output_is_input.onnx"] = model(io(node("Relu", ["X"], ["X"])), )
    c["duplicate_input.onnx"] = model(io(node("Relu", ["X"], ["Y"]), inputs=("X", "X")))
    c["duplicate_initializer.onnx"] = model(tensor(5, "W", [], raw=b"\0" * 4) * 2 + io(node("Add", ["X", "W"], ["Y"])))
    c["opset_too_new.onnx"] = relu_model(version=1000)
    c["opset_zero.onnx"] = relu_model(version=0)
    c["opset_negative.onnx"] = relu_model(version=-5)
    c["no_opset_for_domain.onnx"] = model(io(node("Foo", ["X"], ["Y"], domain="com.example")))
    c["attr_unknown_type.onnx"] = model(io(node("Relu", ["X"], ["Y"], attrs=msg(5, f_bytes(1, "a"), f_varint(20, 99)))))
    c["attr_no_name.onnx"] = model(io(node("Relu", ["X"], ["Y"], attrs=msg(5, f_varint(20, 2), f_varint(3, 1)))))
    c["attr_twice.onnx"] = model(io(node("Flatten", ["X"], ["Y"], attrs=msg(5, f_bytes(1, "axis"), f_varint(3, 1)) * 2)))
    c["attr_ints_truncated.onnx"] = model(io(node("Transpose", ["X"], ["Y"], attrs=msg(5, f_bytes(1, "perm"), f_varint(20, 7), f_bytes(8, b"\x80")))))
    c["attr_graph_missing.onnx"] = model(io(node("If", ["X"], ["Y"], attrs=msg(5, f_bytes(1, "then_branch"), f_varint(20, 5)))))
    c["attr_tensor_bad.onnx"] = model(io(node("Constant", [], ["Y"], attrs=msg(5, f_bytes(1, "value"), f_varint(20, 4), tensor(5, "", [-3], raw=b""))), inputs=()))
    c["subgraph_self_reference.onnx"] = model(io(node("If", ["C"], ["Y"], attrs=attr_graph("then_branch", io(node("Relu", ["Y"], ["Z"]), inputs=(), outputs=("Z",)))), inputs=("C",)))
    c["subgraph_undefined.onnx"] = model(io(node("If", ["C"], ["Y"], attrs=attr_graph("then_branch", io(node("Relu", ["Nowhere"], ["Z"]), inputs=(), outputs=("Z",)))), inputs=("C",)))
    c["subgraph_outer_ok.onnx"] = model(io(node("Relu", ["X"], ["R"]) + node("If", ["C"], ["Y"], attrs=attr_graph("then_branch", io(node("Neg", ["R"], ["Z"]), inputs=(), outputs=("Z",)))), inputs=("X", "C")))
    c["nesting_10000_deep.onnx"] = nested_graphs(10000)
    c["nesting_60_deep_ok.onnx"] = nested_graphs(60)
    c["types_10000_deep.onnx"] = nested_types(10000)
    c["external_escape_dotdot.onnx"] = external("../../../../../../etc/passwd")
    c["external_escape_absolute.onnx"] = external("/etc/passwd")
    c["external_escape_backslash.onnx"] = external("..\\..\\etc\\passwd")
    c["external_missing_file.onnx"] = external("no_such_file.bin")
    c["external_huge_offset.onnx"] = external("valid_relu.onnx", offset="18446744073709551615")
    c["external_offset_overflow.onnx"] = external("valid_relu.onnx", offset="99999999999999999999999")
    c["external_length_mismatch.onnx"] = external("valid_relu.onnx", length="3")
    c["external_self_in_folder.onnx"] = external("valid_relu.onnx")  # inside the folder: accepted from a file
    c["external_no_location.onnx"] = model(tensor(5, "W", [4], extra=f_varint(14, 1)) + io(node("Add", ["X", "W"], ["Y"])))
    c["sparse_index_out_of_range.onnx"] = sparse([1, 99], [3, 4])
    c["sparse_negative_index.onnx"] = sparse([-1, 0], [3, 4])
    c["sparse_too_many_values.onnx"] = sparse([0, 1, 2], [2], nnz=3)
    c["sparse_huge_dims.onnx"] = sparse([0, 1], [1 << 40, 1 << 40])
    c["sparse_densifies_to_4gib.onnx"] = sparse([0, 1], [1 << 15, 1 << 15])
    c["sparse_ok.onnx"] = sparse([1, 7], [3, 4])
    c["function_recursive.onnx"] = model(io(node("f", ["X"], ["Y"], domain="local")), extra=opset("local", 1) + function("f", [fnode("f", ["x"], ["y"], "local")]))
    c["function_mutual_recursion.onnx"] = model(io(node("f", ["X"], ["Y"], domain="local")), extra=opset("local", 1)
                                                + function("f", [fnode("g", ["x"], ["y"], "local")]) + function("g", [fnode("f", ["x"], ["y"], "local")]))
    c["function_exponential.onnx"] = exploding_functions(40)
    c["function_too_many_args.onnx"] = model(io(node("f", ["X", "X", "X"], ["Y"], domain="local")), extra=opset("local", 1) + function("f", [fnode("Relu", ["x"], ["y"])]))
    c["function_duplicate.onnx"] = model(io(node("f", ["X"], ["Y"], domain="local")), extra=opset("local", 1) + function("f", [fnode("Relu", ["x"], ["y"])]) * 2)
    c["function_ok.onnx"] = model(io(node("f", ["X"], ["Y"], domain="local")), extra=opset("local", 1) + function("f", [fnode("Relu", ["x"], ["t"]), fnode("Neg", ["t"], ["y"])]))
    # the body uses the function's own import (13) while the model's is unusable: loads, and must round-trip
    c["function_own_opset.onnx"] = model(io(node("f", ["X"], ["Y"], domain="local")), version=1000,
                                         extra=opset("local", 1) + function("f", [fnode("Relu", ["x"], ["y"])]))
    c["shape_rank_17.onnx"] = model(node("Identity", ["X"], ["Y"]) + value_info(11, "X", dims=[1] * 17) + value_info(12, "Y"))
    c["type_unknown_elem.onnx"] = model(node("Identity", ["X"], ["Y"]) + value_info(11, "X", elem=1234) + value_info(12, "Y"))
    c["value_info_no_name.onnx"] = model(io(node("Relu", ["X"], ["Y"])) + msg(13, msg(2, type_tensor(FLOAT))))
    c["many_empty_nodes.onnx"] = model(msg(1, b"") * 2000)
    return c


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d files to %s" % (len(corpus()), OUT))


if __name__ == "__main__":
    main()
