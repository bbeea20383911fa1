using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace QuantGen.Tests.Packaging
{
    /// <summary>
    /// Every package carries what nuget.org shows and what a debugger needs, as Microsoft.ML.OnnxRuntime, System.Text.Json
    /// and Mapperly do: licence expression, project and repository URLs with the commit, a readme and an icon inside the
    /// package, tags, a description, and a symbol package whose PDBs map their sources to that commit (SourceLink).
    /// </summary>
    [Collection(PackedFeedCollection.Name)]
    public sealed class PackageMetadataTests
    {
        private static readonly Guid SourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
        private readonly PackedFeed feed;

        public PackageMetadataTests(PackedFeed feed)
        {
            this.feed = feed;
        }

        public static TheoryData<string> Ids()
        {
            var data = new TheoryData<string>();
            foreach ((string id, _) in PackedFeed.Packages)
            {
                data.Add(id);
            }

            return data;
        }

        internal static XElement Nuspec(ZipArchive zip, out XNamespace ns)
        {
            ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
            using Stream s = entry.Open();
            XElement root = XDocument.Load(s).Root!;
            ns = root.Name.Namespace;
            return root.Element(ns + "metadata")!;
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void EveryPackageHasLicenceUrlsReadmeIconTagsAndCommit(string id)
        {
            using ZipArchive zip = ZipFile.OpenRead(feed.Package(id));
            XElement m = Nuspec(zip, out XNamespace ns);
            string Value(string name) => m.Element(ns + name)?.Value ?? string.Empty;

            Assert.Equal(id, Value("id"));
            XElement license = m.Element(ns + "license")!;
            Assert.Equal("expression", (string?)license.Attribute("type"));
            Assert.Equal("MIT", license.Value);
            Assert.Equal("https://github.com/quantgen/quantgen", Value("projectUrl"));
            Assert.True(Value("description").Length > 60, id + ": description too short: " + Value("description"));
            Assert.Contains("quantization", Value("tags").Split(' '), StringComparer.Ordinal);

            XElement repository = m.Element(ns + "repository")!;
            Assert.Equal("git", (string?)repository.Attribute("type"));
            Assert.Equal("https://github.com/quantgen/quantgen", (string?)repository.Attribute("url"));
            Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit"));

            // readme: this package's own (its title names it), inside the package
            Assert.Equal("README.md", Value("readme"));
            string readme = new StreamReader(zip.GetEntry("README.md")!.Open()).ReadToEnd();
            Assert.StartsWith("# " + id, readme, StringComparison.Ordinal);
            Assert.True(readme.Length > 500, id + ": README too short");

            // icon: a PNG under 20 KB, inside the package
            Assert.Equal("icon.png", Value("icon"));
            ZipArchiveEntry icon = zip.GetEntry("icon.png")!;
            Assert.InRange(icon.Length, 100, 20 * 1024);
            byte[] head = new byte[8];
            using (Stream s = icon.Open())
            {
                s.ReadExactly(head);
            }

            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
            Assert.NotNull(zip.GetEntry("LICENSE"));
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void EveryPackageHasSymbolsWhoseSourcesPointAtTheCommit(string id)
        {
            string commit;
            string[] assemblies;
            using (ZipArchive zip = ZipFile.OpenRead(feed.Package(id)))
            {
                XElement m = Nuspec(zip, out XNamespace ns);
                commit = (string)m.Element(ns + "repository")!.Attribute("commit")!;
                assemblies = zip.Entries.Select(e => e.FullName).Where(n => n.EndsWith(".dll", StringComparison.Ordinal) && (n.StartsWith("lib/", StringComparison.Ordinal) || n.StartsWith("tools/", StringComparison.Ordinal) || n.StartsWith("tasks/", StringComparison.Ordinal))).ToArray();
            }

            Assert.True(File.Exists(feed.Symbols(id)), id + ": no .snupkg");
            using ZipArchive symbols = ZipFile.OpenRead(feed.Symbols(id));
            string[] pdbs = symbols.Entries.Select(e => e.FullName).Where(n => n.EndsWith(".pdb", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(pdbs);
            foreach (string pdb in pdbs)
            {
                // each PDB sits next to its assembly in the package
                Assert.Contains(Path.ChangeExtension(pdb, ".dll"), assemblies);
                using var copy = new MemoryStream();
                using (Stream s = symbols.GetEntry(pdb)!.Open())
                {
                    s.CopyTo(copy);
                }

                copy.Position = 0;
                using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(copy);
                MetadataReader reader = provider.GetMetadataReader();
                byte[]? json = reader.CustomDebugInformation
                    .Select(h => reader.GetCustomDebugInformation(h))
                    .Where(c => reader.GetGuid(c.Kind) == SourceLinkKind)
                    .Select(c => reader.GetBlobBytes(c.Value))
                    .FirstOrDefault();
                Assert.True(json != null, pdb + " has no SourceLink");
                using JsonDocument doc = JsonDocument.Parse(Encoding.UTF8.GetString(json!));
                string[] targets = doc.RootElement.GetProperty("documents").EnumerateObject().Select(p => p.Value.GetString()!).ToArray();
                Assert.Contains("https://raw.githubusercontent.com/quantgen/quantgen/" + commit + "/*", targets);
            }
        }

        [Fact]
        public void PackingPrintsNoWarnings() =>
            Assert.DoesNotMatch(new Regex(@": warning [A-Z]+[0-9]+"), feed.PackOutput);
    }
}
