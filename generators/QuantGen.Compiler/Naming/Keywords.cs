using System.Collections.Generic;

namespace QuantGen.Naming
{
    /// <summary>Words a model name must never become in a target language.</summary>
    public static class Keywords
    {
        /// <summary>
        /// C++ keywords and alternative tokens, the names of the HLS project's own scope (main, hls, std, the top ports), and
        /// the loop and local names of the HLS layer templates, which share a scope with the model's arrays and types.
        /// Tcl needs nothing more: a C++ identifier has no space, bracket, brace, quote or '$'.
        /// </summary>
        public static readonly IReadOnlyCollection<string> Cpp = new HashSet<string>
        {
            "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const", "constexpr",
            "const_cast", "continue", "decltype", "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit",
            "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace",
            "new", "noexcept", "not", "nullptr", "operator", "or", "private", "protected", "public", "register", "reinterpret_cast",
            "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct", "switch", "template", "this",
            "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
            "wchar_t", "while", "xor", "main", "hls", "std", "input", "output", "x", "b", "y", "acc", "r", "k", "o", "t", "u", "i", "j",
            "win", "oh", "ow", "ih", "iw", "ch", "nc", "n", "best", "inside", "prod", "xv", "wv",
        };

        /// <summary>C#'s reserved keywords: an identifier that is one is printed with '@' (contextual keywords are valid names).</summary>
        public static readonly IReadOnlyCollection<string> CSharp = new HashSet<string>
        {
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
            "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
            "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long",
            "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected", "public",
            "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct", "switch",
            "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void",
            "volatile", "while",
        };
    }
}
