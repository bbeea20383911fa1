using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QuantGen.Model;
using QuantGen.Hls;

namespace QuantGen.Tasks
{
    /// <summary>
    /// Writes the HLS C++ project of every <c>QuantModel</c> item to <c>OutputPath/&lt;model&gt;/</c>. Item metadata are
    /// the knobs (IoMode, ReuseFactor, LayerReuseFactors, Part, ClockPeriod, ClockUncertainty, TestData, TestVectors, TestSplit). Model
    /// errors are logged with their QG1xxx id, file, line and column; knob errors with QG3xxx. A model with errors
    /// writes nothing; an unchanged model rewrites nothing. Each item's StampFile receives the list of its files
    /// (read back by the targets for FileWrites, so that clean and incremental clean know them).
    /// </summary>
    public sealed class QuantGenEmitHls : Task
    {
        [Required]
        public ITaskItem[] Models { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>Folder that receives one sub-folder per model.</summary>
        [Required]
        public string OutputPath { get; set; } = string.Empty;

        /// <summary>The project file, named in knob errors (metadata have no line numbers of their own).</summary>
        public string ProjectFile { get; set; } = string.Empty;

        /// <summary>Every file of every emitted project (plus stamps), for FileWrites.</summary>
        [Output]
        public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>Models whose folder was (re)written in this run.</summary>
        [Output]
        public ITaskItem[] Written { get; set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            var files = new List<ITaskItem>();
            var written = new List<ITaskItem>();
            var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (ITaskItem item in Models)
            {
                string spec = item.GetMetadata("FullPath");
                try
                {
                    EmitOne(item, spec, outputs, files, written);
                }
                catch (HlsTemplateException e)
                {
                    Log.LogError(null, HlsErrors.TemplateError, null, spec, 0, 0, 0, 0, "QuantGen HLS template error (please report): " + e.Message);
                }
                catch (Exception e) when (!(e is OutOfMemoryException))
                {
                    Log.LogError(null, HlsErrors.InternalError, null, spec, 0, 0, 0, 0, $"unexpected error while emitting the HLS project ({e.GetType().Name}): {e.Message}");
                }
            }

            Files = files.ToArray();
            Written = written.ToArray();
            return !Log.HasLoggedErrors;
        }

        private void EmitOne(ITaskItem item, string spec, Dictionary<string, string> outputs, List<ITaskItem> files, List<ITaskItem> written)
        {
            var knobErrors = new List<(string Code, string Message)>();
            HlsOptions options = HlsOptions.Parse(
                item.GetMetadata("IoMode"),
                item.GetMetadata("ReuseFactor"),
                item.GetMetadata("LayerReuseFactors"),
                item.GetMetadata("Part"),
                item.GetMetadata("ClockPeriod"),
                item.GetMetadata("TestVectors"),
                knobErrors);
            string allowExternal = item.GetMetadata("AllowExternalWeights");
            if (HlsOptions.TryParseFlag(allowExternal, out bool allow))
            {
                options.AllowExternalWeights = allow;
            }
            else
            {
                knobErrors.Add((HlsErrors.InvalidFlag, $"AllowExternalWeights \"{allowExternal}\" is not valid; use true or false"));
            }

            string testData = item.GetMetadata("TestData");
            if (testData.Length > 0)
            {
                try
                {
                    options.TestData = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ProjectFile) ?? ".", testData));
                }
                catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
                {
                    knobErrors.Add((HlsErrors.InvalidTestData, $"TestData \"{testData}\" is not a usable path ({e.Message})"));
                }
            }

            string uncertainty = item.GetMetadata("ClockUncertainty");
            if (!options.TrySetClockUncertainty(uncertainty))
            {
                knobErrors.Add((HlsErrors.InvalidClock, $"ClockUncertainty \"{uncertainty}\" is not valid; give it in ns (0.5) or as a percentage of the period (12.5%)"));
            }

            string split = item.GetMetadata("TestSplit");
            if (split.Length > 0)
            {
                options.TestSplit = split;
            }

            (int line, int column) = FindItem(item.ItemSpec);
            foreach ((string code, string message) in knobErrors)
            {
                Log.LogError(null, code, null, ProjectFile.Length > 0 ? ProjectFile : spec, line, column, 0, 0, $"QuantModel \"{item.ItemSpec}\": {message}");
            }

            if (knobErrors.Count > 0)
            {
                return;
            }

            HlsGenerationResult result = HlsGenerator.Generate(spec, options);
            foreach (ModelDiagnostic d in result.Diagnostics)
            {
                string message = d.Message + (d.Place != null ? " [at " + d.Place + "]" : string.Empty);
                Log.LogError(null, d.Id, null, d.File.Length > 0 ? d.File : spec, d.Line, d.Column, 0, 0, message);
            }

            if (result.Project == null)
            {
                return;
            }

            string dir = Path.GetFullPath(Path.Combine(OutputPath, result.Project.Name));
            if (outputs.TryGetValue(dir, out string? other))
            {
                Log.LogError(null, HlsErrors.DuplicateOutput, null, spec, 0, 0, 0, 0, $"model \"{result.Project.Name}\" would be written to {dir}, which {other} already uses; give the models different names");
                return;
            }

            outputs[dir] = spec;
            bool changed;
            try
            {
                changed = HlsOutputWriter.Write(dir, result.Project);
            }
            catch (IOException e)
            {
                Log.LogError(null, HlsErrors.WriteFailed, null, spec, 0, 0, 0, 0, e.Message);
                return;
            }

            var list = result.Project.Files.Keys.Select(k => Path.Combine(dir, k.Replace('/', Path.DirectorySeparatorChar))).ToList();
            files.AddRange(list.Select(f => new TaskItem(f)));
            if (changed)
            {
                written.Add(new TaskItem(dir));
                Log.LogMessage(MessageImportance.High, $"QuantGen: {item.ItemSpec} -> {dir} ({result.Project.Files.Count} files, {options.IoModeName})");
            }
            else
            {
                Log.LogMessage(MessageImportance.Normal, $"QuantGen: {dir} is up to date");
            }

            string stamp = item.GetMetadata("StampFile");
            if (stamp.Length > 0)
            {
                WriteStamp(Path.GetFullPath(stamp), string.Join("\n", list) + "\n");
                files.Add(new TaskItem(Path.GetFullPath(stamp)));
            }
        }

        /// <summary>Line and column of the item's Include in the project file (metadata carry no location), or (0, 0).</summary>
        private (int Line, int Column) FindItem(string itemSpec)
        {
            try
            {
                if (ProjectFile.Length == 0 || !File.Exists(ProjectFile))
                {
                    return (0, 0);
                }

                string[] lines = File.ReadAllLines(ProjectFile);
                for (int i = 0; i < lines.Length; i++)
                {
                    int at = lines[i].IndexOf("\"" + itemSpec + "\"", StringComparison.Ordinal);
                    if (at >= 0 && lines[i].Contains("QuantModel"))
                    {
                        return (i + 1, lines[i].IndexOf("<QuantModel", StringComparison.Ordinal) + 1);
                    }
                }
            }
            catch (IOException)
            {
            }

            return (0, 0);
        }

        /// <summary>The stamp holds the file list; rewritten only when it changes, otherwise just touched.</summary>
        private static void WriteStamp(string path, string text)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (File.Exists(path) && File.ReadAllText(path) == text)
            {
                File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
                return;
            }

            File.WriteAllText(path, text);
        }
    }
}
