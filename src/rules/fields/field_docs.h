// The field reference table of docs/rule-language.md, generated from AllFields() so the document
// cannot drift from the code.
#ifndef VIGIL_RULES_FIELDS_FIELD_DOCS_H_
#define VIGIL_RULES_FIELDS_FIELD_DOCS_H_

#include <string>

namespace vigil::rules::fields {

// A Markdown table with one row per field in AllFields() order: name, type (string or list),
// the bracket argument it takes, and its description (prefixed "Deprecated." when it is).
std::string FieldTableMarkdown();

}  // namespace vigil::rules::fields

#endif  // VIGIL_RULES_FIELDS_FIELD_DOCS_H_
