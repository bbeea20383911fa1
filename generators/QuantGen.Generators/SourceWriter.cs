using System.Text;

namespace QuantGen.Generators
{
    /// <summary>Indented source text with "\n" newlines (deterministic output on every OS).</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder sb = new StringBuilder();
        private int indent;

        public void Line(string text = "")
        {
            if (text.Length > 0)
            {
                sb.Append(' ', indent * 4);
            }

            sb.Append(text).Append('\n');
        }

        public void Open(string text)
        {
            Line(text);
            Line("{");
            indent++;
        }

        public void Close(string suffix = "")
        {
            indent--;
            Line("}" + suffix);
        }

        public override string ToString() => sb.ToString();
    }
}
