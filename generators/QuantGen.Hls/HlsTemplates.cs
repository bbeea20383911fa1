using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace QuantGen.Hls
{
    /// <summary>A template failed to parse or render: a bug in QuantGen's templates, reported as QG3010.</summary>
    public sealed class HlsTemplateException : Exception
    {
        public HlsTemplateException(string message)
            : base(message)
        {
        }
    }

    /// <summary>
    /// The Scriban templates of templates/hls, embedded in this assembly as resources named
    /// <c>QuantGen.Hls.Templates/&lt;relative path&gt;</c>. Parsed once, rendered with "\n" newlines.
    /// </summary>
    internal static class HlsTemplates
    {
        private const string Prefix = "QuantGen.Hls.Templates/";
        private static readonly Lazy<Dictionary<string, string>> Sources = new Lazy<Dictionary<string, string>>(LoadSources);
        private static readonly Dictionary<string, Template> Parsed = new Dictionary<string, Template>(StringComparer.Ordinal);

        /// <summary>Relative paths of every embedded template, sorted.</summary>
        public static IReadOnlyList<string> Names => Sources.Value.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

        public static string Render(string name, ScriptObject globals)
        {
            Template template = Get(name);
            var context = new TemplateContext
            {
                MemberRenamer = member => SnakeCase(member.Name),
                NewLine = "\n",
                StrictVariables = true,
                EnableRelaxedMemberAccess = false,
                LoopLimit = 0,
                LimitToString = 0,
                TemplateLoader = new Loader(),
            };
            context.PushGlobal(Functions());
            context.PushGlobal(globals);
            try
            {
                return template.Render(context).Replace("\r\n", "\n");
            }
            catch (Scriban.Syntax.ScriptRuntimeException e)
            {
                throw new HlsTemplateException($"template {name}: {e.Message}");
            }
        }

        /// <summary>
        /// The name templates see for a plan record's property: PascalCase to snake_case, one '_' before every capital
        /// after the first ("AccType" -> "acc_type", "CIn" -> "c_in", "QLn2" -> "q_ln2"): plan records avoid acronyms.
        /// </summary>
        public static string SnakeCase(string name)
        {
            var sb = new System.Text.StringBuilder(name.Length + 4);
            for (int i = 0; i < name.Length; i++)
            {
                char c = name[i];
                if (char.IsUpper(c))
                {
                    if (i > 0)
                    {
                        sb.Append('_');
                    }

                    sb.Append(char.ToLowerInvariant(c));
                }
                else
                {
                    sb.Append(c);
                }
            }

            return sb.ToString();
        }

        /// <summary>The inside of a JSON string literal: backslash, quote and control characters escaped (nothing else, so
        /// formulas keep their '+').</summary>
        public static string JsonText(string? s)
        {
            var sb = new System.Text.StringBuilder();
            foreach (char ch in s ?? string.Empty)
            {
                _ = ch switch
                {
                    '"' => sb.Append("\\\""),
                    '\\' => sb.Append("\\\\"),
                    '\n' => sb.Append("\\n"),
                    _ when ch < ' ' => sb.Append("\\u").Append(((int)ch).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                    _ => sb.Append(ch),
                };
            }

            return sb.ToString();
        }

        /// <summary>Globals every template may call: <c>cpp_lines values per_line</c> prints a ROM initializer; <c>json_text</c>
        /// escapes a string for report.json.</summary>
        public static ScriptObject Functions()
        {
            var f = new ScriptObject();
            f.Import("cpp_lines", new Func<object, int, string>((values, perLine) => CppFormat.InitializerLines(((IEnumerable<long>)values).ToList(), perLine)));
            f.Import("json_text", new Func<string, string>(JsonText));
            return f;
        }

        private static Template Get(string name)
        {
            lock (Parsed)
            {
                if (Parsed.TryGetValue(name, out Template? cached))
                {
                    return cached;
                }

                if (!Sources.Value.TryGetValue(name, out string? text))
                {
                    throw new HlsTemplateException($"template {name} is not embedded in {typeof(HlsTemplates).Assembly.GetName().Name}");
                }

                Template t = Template.Parse(text, name);
                if (t.HasErrors)
                {
                    throw new HlsTemplateException($"template {name}: " + string.Join("; ", t.Messages.Select(m => m.ToString())));
                }

                Parsed[name] = t;
                return t;
            }
        }

        private static Dictionary<string, string> LoadSources()
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            Assembly asm = typeof(HlsTemplates).Assembly;
            foreach (string resource in asm.GetManifestResourceNames())
            {
                string normalized = resource.Replace('\\', '/');
                if (!normalized.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                using Stream stream = asm.GetManifestResourceStream(resource)!;
                using var reader = new StreamReader(stream);
                result[normalized.Substring(Prefix.Length)] = reader.ReadToEnd().Replace("\r\n", "\n");
            }

            return result;
        }

        private sealed class Loader : ITemplateLoader
        {
            public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName;

            public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
                Sources.Value.TryGetValue(templatePath, out string? text) ? text : throw new HlsTemplateException("no template " + templatePath);

            public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) =>
                new ValueTask<string?>(Load(context, callerSpan, templatePath));
        }
    }
}
