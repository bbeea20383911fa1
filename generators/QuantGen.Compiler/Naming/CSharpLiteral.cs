using System.Globalization;
using System.Text;

namespace QuantGen.Naming
{
    /// <summary>
    /// The one place a string from a model file becomes C# source text. Everything outside printable ASCII (controls,
    /// DEL, every non-ASCII char including U+0085, U+2028, U+2029 and lone surrogates) is written as a \uXXXX escape,
    /// quotes and backslashes are escaped, so the literal is one line, pure ASCII, and means exactly the input.
    /// </summary>
    public static class CSharpLiteral
    {
        /// <summary>A complete regular (double-quoted) C# string literal whose value is <paramref name="s"/>.</summary>
        public static string Quote(string s)
        {
            var b = new StringBuilder(s.Length + 2);
            b.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"':
                        b.Append("\\\"");
                        break;
                    case '\\':
                        b.Append("\\\\");
                        break;
                    default:
                        if (c >= 0x20 && c < 0x7F)
                        {
                            b.Append(c);
                        }
                        else
                        {
                            b.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                        }

                        break;
                }
            }

            return b.Append('"').ToString();
        }
    }
}
