import Mustache

/// The HTML reports' templates (Sources/Reports/Templates, embedded in the binary): one page per
/// report, sharing the `style` partial. swift-mustache escapes every `{{value}}`, so text from the
/// data can never become markup.
enum HTMLTemplates {
    static func render(_ page: Any, template name: String) throws -> String {
        var library = MustacheLibrary()
        for (template, bytes) in [("style", PackageResources.style_mustache), ("exposure", PackageResources.exposure_mustache), ("facility", PackageResources.facility_mustache)] {
            try library.register(String(decoding: bytes, as: UTF8.self), named: template)
        }
        guard let html = library.render(page, withTemplate: name) else { preconditionFailure("no template named \(name)") }
        return html
    }
}
