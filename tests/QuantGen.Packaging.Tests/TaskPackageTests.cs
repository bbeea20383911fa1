using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace QuantGen.Tests.Packaging
{
    /// <summary>
    /// QuantGen.Tasks carries one build of the HLS task per MSBuild runtime, and its targets load the one that matches:
    /// the .NET SDK's MSBuild ('Core') takes tasks/net8.0, Visual Studio's .NET Framework MSBuild ('Full') takes
    /// tasks/net472. The Core path runs for real in PackedConsumerTests; Full MSBuild exists only on Windows, so its
    /// side is checked here by the package layout and the targets' XML.
    /// </summary>
    [Collection(PackedFeedCollection.Name)]
    public sealed class TaskPackageTests
    {
        private static readonly XNamespace Msb = "http://schemas.microsoft.com/developer/msbuild/2003";
        private readonly PackedFeed feed;

        public TaskPackageTests(PackedFeed feed)
        {
            this.feed = feed;
        }

        [Fact]
        public void TheTaskIsPackedForBothMSBuildRuntimesWithWhatItLoads()
        {
            using ZipArchive zip = ZipFile.OpenRead(feed.Package("QuantGen.Tasks"));
            string[] files = zip.Entries.Select(e => e.FullName).ToArray();
            foreach (string tfm in new[] { "net8.0", "net472" })
            {
                Assert.Contains($"tasks/{tfm}/QuantGen.Tasks.dll", files);
                Assert.Contains($"tasks/{tfm}/QuantGen.Compiler.dll", files);
                Assert.Contains($"tasks/{tfm}/Scriban.Signed.dll", files);
            }

            // net8.0 loads the generator and runtime assemblies; net472 has them compiled in, plus the BCL packages it needs
            Assert.Contains("tasks/net8.0/QuantGen.Hls.dll", files);
            Assert.Contains("tasks/net472/System.Memory.dll", files);
            Assert.DoesNotContain("tasks/net472/QuantGen.Hls.dll", files);

            // MSBuild provides its own: shipping them would load a second copy
            Assert.DoesNotContain(files, f => f.Contains("Microsoft.Build.", StringComparison.Ordinal) && f.EndsWith(".dll", StringComparison.Ordinal));
            Assert.DoesNotContain(files, f => f.StartsWith("lib/", StringComparison.Ordinal));
            Assert.Contains("build/QuantGen.Tasks.targets", files);
            Assert.Contains("buildTransitive/QuantGen.Tasks.targets", files);
        }

        [Fact]
        public void TheTargetsPickTheTaskBuildByMSBuildRuntimeType()
        {
            using ZipArchive zip = ZipFile.OpenRead(feed.Package("QuantGen.Tasks"));
            XElement targets;
            using (Stream s = zip.GetEntry("build/QuantGen.Tasks.targets")!.Open())
            {
                targets = XDocument.Load(s).Root!;
            }

            XNamespace ns = targets.Name.Namespace == Msb ? Msb : XNamespace.None;
            var tfm = targets.Elements(ns + "PropertyGroup").Elements(ns + "_QuantGenTasksTfm").ToDictionary(e => Normalize((string)e.Attribute("Condition")!), e => e.Value);
            Assert.Equal("net8.0", tfm["'$(MSBuildRuntimeType)'=='Core'"]);
            Assert.Equal("net472", tfm["'$(MSBuildRuntimeType)'!='Core'"]);

            string[] assembly = targets.Elements(ns + "PropertyGroup").Elements(ns + "QuantGenTasksAssembly").Select(e => e.Value).ToArray();
            Assert.Contains(@"$(MSBuildThisFileDirectory)..\tasks\$(_QuantGenTasksTfm)\QuantGen.Tasks.dll", assembly);

            var usings = targets.Elements(ns + "UsingTask").Where(u => (string?)u.Attribute("TaskName") == "QuantGen.Tasks.QuantGenEmitHls").ToArray();
            Assert.Equal(2, usings.Length);
            var byCondition = usings.ToDictionary(u => Normalize((string)u.Attribute("Condition")!));
            XElement core = byCondition["'$(MSBuildRuntimeType)'=='Core'"], full = byCondition["'$(MSBuildRuntimeType)'!='Core'"];
            Assert.Equal("CurrentRuntime", (string?)core.Attribute("Runtime"));
            Assert.Equal("CLR4", (string?)full.Attribute("Runtime"));
            Assert.All(usings, u => Assert.Equal("$(QuantGenTasksAssembly)", (string?)u.Attribute("AssemblyFile")));
            Assert.All(usings, u => Assert.Equal("TaskHostFactory", (string?)u.Attribute("TaskFactory")));
        }

        private static string Normalize(string condition) => condition.Replace(" ", string.Empty, StringComparison.Ordinal);
    }
}
