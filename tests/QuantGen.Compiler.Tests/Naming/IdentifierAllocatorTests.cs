using System.Linq;
using QuantGen.Naming;
using Xunit;

namespace QuantGen.Tests.Naming
{
    public class IdentifierAllocatorTests
    {
        [Theory]
        [InlineData(NameTarget.CSharp)]
        [InlineData(NameTarget.Cpp)]
        public void NamesThatSanitizeAlikeGetDistinctStableIdentifiers(NameTarget target)
        {
            var a = new IdentifierAllocator(target, target == NameTarget.Cpp ? Keywords.Cpp : null);
            string[] keys = { "h.1", "h_1", "h-1", "h:1", "hé", "hü", "h_1_2" };
            string[] ids = keys.Select(a.Get).ToArray();
            Assert.Equal(keys.Length, ids.Distinct().Count());
            Assert.All(ids, id => Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", id));
            Assert.Equal(ids, keys.Select(a.Get).ToArray()); // the same key always gets the same identifier
        }

        [Fact]
        public void CppNamesNeverEnterTheLibraryPrefixOrAKeyword()
        {
            var a = new IdentifierAllocator(NameTarget.Cpp, Keywords.Cpp);
            string[] ids = { a.Get("qg_"), a.Get("qg_x"), a.Get("qg"), a.Get("qg.2"), a.Get("int"), a.Get("output"), a.Get("x") };
            Assert.All(ids, id => Assert.False(id.StartsWith(IdentifierAllocator.CppReservedPrefix, System.StringComparison.Ordinal), id));
            Assert.All(ids, id => Assert.DoesNotContain(id, Keywords.Cpp));
            Assert.Equal(ids.Length, ids.Distinct().Count());
        }

        [Fact]
        public void DerivedNamesShareTheScopeAndClonesKeepAllocations()
        {
            var a = new IdentifierAllocator(NameTarget.Cpp, Keywords.Cpp);
            string layer = a.Get("layer fc1", "fc1");
            IdentifierAllocator b = a.Clone();
            Assert.Equal(layer, b.Get("layer fc1", "anything"));
            Assert.NotEqual(layer, b.Get("tensor fc1", "fc1"));
            Assert.Equal("fc1_acc_t", b.Get("fc1 acc type", "fc1_acc_t"));
        }
    }
}
