import Mustache

/// A Mustache template of a generated file: the template holds the text and
/// its layout (indentation included), the generator only builds a context of
/// values to put in it.
///
/// Every template, and every partial it includes, renders as plain text:
/// nothing is HTML-escaped. What a value needs to be safe where it lands
/// (shell quoting, YAML scalars) is done before it goes into the context, by
/// `BatchJobScript.quote`, `ShellString` and `NotebookYAML.scalar`; a
/// template only places values that are already quoted.
///
/// Two things of this Mustache implementation to keep in mind when editing a
/// template:
/// - A name not found in the innermost object is looked up in the enclosing
///   ones, and a `nil` optional counts as not found: give context fields
///   names that no enclosing context uses.
/// - A partial tag alone on an indented line indents every line of the
///   partial, except inside the partial's own sections, where a repetition
///   after the first starts unindented: partials here hold plain lines, no
///   sections (repeat the partial from a section of the including template).
struct TextTemplate: Sendable {
    private let template: MustacheTemplate
    private let library: MustacheLibrary

    /// Parses `text` and `partials` (each referred to as `{{> name}}`). A
    /// template that does not parse is a bug of this module, found by the first
    /// export that uses it.
    init(_ name: String, _ text: String, partials: [String: String] = [:]) {
        do {
            template = try MustacheTemplate(string: Self.plainText + text)
            var library = MustacheLibrary()
            for (partial, text) in partials { try library.register(Self.plainText + text, named: partial) }
            self.library = library
        } catch {
            fatalError("the template \(name) does not parse: \(error)")
        }
    }

    /// The text for `context`, a struct (fields by name) or `[String: Any]`.
    func render(_ context: Any) -> String { template.render(context, library: library) }

    /// Renders the rest of a template as text, not HTML (a line of its own: it leaves no blank line).
    private static let plainText = "{{% CONTENT_TYPE: TEXT }}\n"
}
