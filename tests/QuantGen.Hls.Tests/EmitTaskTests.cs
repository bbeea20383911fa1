using System.Collections;
using System.Collections.Generic;
using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using QuantGen.Tasks;
using Xunit;

namespace QuantGen.Tests.Hls
{
    /// <summary>The task object in process, with a recording build engine: outputs, stamps and task-level errors.</summary>
    public class EmitTaskTests
    {
        private sealed class Engine : IBuildEngine
        {
            public List<BuildErrorEventArgs> Errors { get; } = new List<BuildErrorEventArgs>();

            public bool ContinueOnError => false;

            public int LineNumberOfTaskNode => 0;

            public int ColumnNumberOfTaskNode => 0;

            public string ProjectFileOfTaskNode => "test.proj";

            public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;

            public void LogCustomEvent(CustomBuildEventArgs e)
            {
            }

            public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);

            public void LogMessageEvent(BuildMessageEventArgs e)
            {
            }

            public void LogWarningEvent(BuildWarningEventArgs e)
            {
            }
        }

        private static TaskItem Model(string name, string stamp)
        {
            var item = new TaskItem(HlsFixture.ModelPath(name));
            item.SetMetadata("TestVectors", "3");
            item.SetMetadata("StampFile", stamp);
            return item;
        }

        [Fact]
        public void WritesProjectsStampsAndReportsDuplicates()
        {
            string dir = HlsFixture.TempDir("task");
            var engine = new Engine();
            var task = new QuantGenEmitHls
            {
                BuildEngine = engine,
                OutputPath = Path.Combine(dir, "hls"),
                Models = new[] { Model("digits_mlp", Path.Combine(dir, "obj", "a.files")), Model("digits_mlp", Path.Combine(dir, "obj", "b.files")) },
            };
            Assert.False(task.Execute());
            BuildErrorEventArgs e = Assert.Single(engine.Errors);
            Assert.Equal("QG3008", e.Code);
            Assert.EndsWith("digits_mlp.qmodel.json", e.File);
            Assert.Single(task.Written);
            string[] listed = File.ReadAllLines(Path.Combine(dir, "obj", "a.files"));
            Assert.Contains(Path.Combine(dir, "hls", "digits_mlp", "firmware", "digits_mlp.cpp"), listed);
            Assert.All(listed, f => Assert.True(File.Exists(f), f));
            Assert.Equal(listed.Length + 1, task.Files.Length);   // the files plus the stamp
            Assert.False(File.Exists(Path.Combine(dir, "obj", "b.files")));

            // Second run, one model: nothing rewritten, the stamp is still there.
            var again = new QuantGenEmitHls { BuildEngine = new Engine(), OutputPath = task.OutputPath, Models = new[] { Model("digits_mlp", Path.Combine(dir, "obj", "a.files")) } };
            Assert.True(again.Execute());
            Assert.Empty(again.Written);
            Directory.Delete(dir, true);
        }

        [Fact]
        public void BadMetadataIsAnErrorAndWritesNothing()
        {
            string dir = HlsFixture.TempDir("task-bad");
            var engine = new Engine();
            TaskItem item = Model("digits_vit", Path.Combine(dir, "obj", "v.files"));
            item.SetMetadata("ClockPeriod", "fast");
            item.SetMetadata("Part", "no part");
            var task = new QuantGenEmitHls { BuildEngine = engine, OutputPath = Path.Combine(dir, "hls"), Models = new[] { item } };
            Assert.False(task.Execute());
            Assert.Equal(new[] { "QG3004", "QG3005" }, engine.Errors.ConvertAll(x => x.Code));
            Assert.False(Directory.Exists(Path.Combine(dir, "hls")));
            Directory.Delete(dir, true);
        }
    }
}
