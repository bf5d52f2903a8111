"""dist_tar: the files tools/install.sh installs, as one tar (bin/, lib/, include/)."""

def _header_dest(f):
    """Where header |f| goes in the tree, or None to leave it out."""
    sp = f.short_path
    ws = f.owner.workspace_name if f.owner else ""
    if ws == "com_google_absl":
        # The C++ headers include Abseil's (token.h, mutex.h); ship the ones
        # they need, out of the way under include/cryptoki/third_party.
        i = sp.find("/absl/")
        return "include/cryptoki/third_party" + sp[i:] if i >= 0 else None
    if ws != "":
        return None
    if sp.startswith("cryptoki_c/include/") and (sp.endswith(".h") or sp.endswith(".inc")):
        return "include/cryptoki/" + f.basename
    if sp.startswith("cryptoki/") and sp.count("/") == 1 and sp.endswith(".h"):
        return "include/" + sp
    return None

def _dist_tar_impl(ctx):
    dests = {}
    for t in ctx.attr.bins:
        for f in t.files.to_list():
            dests["bin/" + f.basename] = f
    for t in ctx.attr.libs:
        for f in t.files.to_list():
            dests["lib/" + f.basename] = f
    for t in ctx.attr.headers_of:
        for f in t[CcInfo].compilation_context.headers.to_list():
            d = _header_dest(f)
            if d:
                dests[d] = f
    manifest = ctx.actions.declare_file(ctx.label.name + ".manifest")
    ctx.actions.write(manifest, "".join(["%s\t%s\n" % (dests[d].path, d) for d in sorted(dests)]))
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    ctx.actions.run_shell(
        inputs = [manifest] + dests.values(),
        outputs = [out],
        arguments = [manifest.path, out.path],
        command = """
set -eu
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
tab="$(printf '\\t')"
while IFS="$tab" read -r src dst; do
  mkdir -p "$stage/$(dirname "$dst")"
  cp -L "$src" "$stage/$dst"
done < "$1"
chmod -R u+w,go-w "$stage"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf "$2" .
""",
        mnemonic = "DistTar",
        progress_message = "Bundling %s" % out.short_path,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

dist_tar = rule(
    implementation = _dist_tar_impl,
    doc = "A tar of bin/BINS, lib/LIBS and the installable headers of HEADERS_OF.",
    attrs = {
        "bins": attr.label_list(allow_files = True),
        "libs": attr.label_list(allow_files = True),
        "headers_of": attr.label_list(providers = [CcInfo]),
    },
)

def _whole_shared_library_impl(ctx):
    cc_toolchain = ctx.attr._cc_toolchain[cc_common.CcToolchainInfo]
    whole, rest, flags = [], [], []
    seen = {}
    for dep in ctx.attr.deps:
        for li in dep[CcInfo].linking_context.linker_inputs.to_list():
            flags.extend(li.user_link_flags)
            for lib in li.libraries:
                a = lib.pic_static_library or lib.static_library
                if a == None or a.path in seen:
                    continue
                seen[a.path] = True
                if a.owner.workspace_name == "" or lib.alwayslink:
                    whole.append(a)
                else:
                    rest.append(a)
    out = ctx.actions.declare_file(ctx.attr.soname)
    args = ctx.actions.args()
    args.add_all(["-shared", "-o", out, "-Wl,-soname," + ctx.attr.soname])
    args.add("-Wl,--version-script," + ctx.file.version_script.path)
    args.add_all(["-Wl,-z,defs", "-Wl,-z,now", "-Wl,--gc-sections"])
    args.add("-Wl,--whole-archive")
    args.add_all(whole)
    args.add("-Wl,--no-whole-archive")
    args.add("-Wl,--start-group")
    args.add_all(rest)
    args.add("-Wl,--end-group")
    args.add_all(flags)
    args.add_all(ctx.fragments.cpp.linkopts)
    args.add_all(["-lstdc++", "-lm", "-pthread"])
    ctx.actions.run(
        executable = cc_toolchain.compiler_executable,
        arguments = [args],
        inputs = depset(whole + rest + [ctx.file.version_script], transitive = [cc_toolchain.all_files]),
        outputs = [out],
        mnemonic = "WholeSharedLink",
        progress_message = "Linking %s" % out.short_path,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]))]

# whole_shared_library links every object of this workspace's libraries in
# |deps| (external ones only as needed) into a shared library exporting what
# |version_script| says. cc_binary(linkshared = 1) would link only the objects
# something references, and nothing references the C++ API from inside.
whole_shared_library = rule(
    implementation = _whole_shared_library_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "soname": attr.string(mandatory = True),
        "version_script": attr.label(allow_single_file = True, mandatory = True),
        "_cc_toolchain": attr.label(default = "@bazel_tools//tools/cpp:current_cc_toolchain"),
    },
    fragments = ["cpp"],
)
