/// One procedure table served to every supported library: the union of
/// the protocol JSONs, merged by procedure number. Two libraries may give a
/// procedure a different optional group (1.54 moved the GPT calls out of
/// "gdisk") or more optargs (1.54's cryptsetup_open has `cipher`); anything
/// else that differs (name, args, return, a struct, a constant other than
/// GUESTFS_MAX_PROC_NR) is a contradiction the generator refuses.
struct Union {
    var spec: Spec
    /// What the union had to reconcile, for the generated file's comments.
    var notes: [String] = []

    /// `specs` oldest library first, each with its version ("1.48").
    init(_ specs: [(version: String, spec: Spec)]) {
        precondition(!specs.isEmpty)
        var merged = specs[0].spec
        merged.procedures = []
        var byNumber: [Int: ProcedureSpec] = [:]
        var notes: [String] = []
        var groupChanges: [String: [String]] = [:]
        for (version, spec) in specs {
            for (key, value) in spec.constants {
                if key == "GUESTFS_MAX_PROC_NR" {
                    merged.constants[key] = max(merged.constants[key] ?? 0, value)
                } else if let old = merged.constants[key], old != value {
                    fatalError("\(version): constant \(key) is \(value), an older library says \(old)")
                } else {
                    merged.constants[key] = value
                }
            }
            for name in spec.errno_strings where !merged.errno_strings.contains(name) {
                merged.errno_strings.append(name)
            }
            for s in spec.structs {
                if let i = merged.structs.firstIndex(where: { $0.name == s.name }) {
                    let old = merged.structs[i]
                    guard old != s else { continue }
                    // A field renamed in place (1.60's application2 turned
                    // app2_spare1 into app2_class) keeps the wire layout:
                    // take the newer name. Any other change is refused.
                    guard old.fields.map(\.xdr) == s.fields.map(\.xdr) else {
                        fatalError("\(version): struct \(s.name) differs from an older library's")
                    }
                    let renamed = zip(old.fields, s.fields).filter { $0.name != $1.name }.map { "\($0.name) -> \($1.name)" }
                    notes.append("struct \(s.name): \(renamed.joined(separator: ", ")) in \(version) (same wire layout)")
                    merged.structs[i] = s
                } else {
                    merged.structs.append(s)
                }
            }
            for var p in spec.procedures {
                guard var old = byNumber[p.proc] else {
                    p.libraries = [version]
                    byNumber[p.proc] = p
                    continue
                }
                func refuse(_ what: String) -> Never {
                    fatalError("\(version): procedure \(p.proc) (\(p.name)) has another \(what) than in \(old.libraries!.joined(separator: ", "))")
                }
                if old.name != p.name { refuse("name") }
                if old.ret != p.ret { refuse("return type") }
                if old.args != p.args { refuse("argument list") }
                if old.optargs != p.optargs {
                    // A newer library may append optargs; an older frame then
                    // ends after the ones it knows.
                    let (short, long) = old.optargs.count < p.optargs.count ? (old.optargs, p.optargs) : (p.optargs, old.optargs)
                    guard long.starts(with: short) else { refuse("optargs") }
                    old.optargsInEveryLibrary = min(old.optargsInEveryLibrary ?? short.count, short.count)
                    notes.append("\(p.name): optargs \(long.dropFirst(short.count).map(\.name).joined(separator: ", ")) absent from some libraries' frames")
                    old.optargs = long
                }
                if old.optional_group != p.optional_group {
                    groupChanges["optional group \(old.optional_group ?? "none") in \(old.libraries!.joined(separator: ", ")), \(p.optional_group ?? "none") in \(version); kept \(old.optional_group ?? p.optional_group ?? "none")", default: []].append(p.name)
                    old.optional_group = old.optional_group ?? p.optional_group
                }
                old.deprecated_by = old.deprecated_by ?? p.deprecated_by
                old.cancellable = old.cancellable ?? p.cancellable
                old.progress = old.progress ?? p.progress
                old.visibility = old.visibility ?? p.visibility
                old.libraries!.append(version)
                byNumber[p.proc] = old
            }
        }
        merged.procedures = byNumber.values.sorted { $0.proc < $1.proc }
        self.spec = merged
        self.notes = groupChanges.sorted { $0.key < $1.key }.map { "\($0.value.joined(separator: ", ")): \($0.key)" } + notes
    }
}
