using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class SpansByOperatorIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_operator_state_intervals_ended_at",
                table: "operator_state_intervals");

            migrationBuilder.CreateIndex(
                name: "ix_operator_state_intervals_by_operator",
                table: "operator_state_intervals",
                columns: new[] { "operator_id", "started_at", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_operator_state_intervals_by_operator",
                table: "operator_state_intervals");

            migrationBuilder.CreateIndex(
                name: "ix_operator_state_intervals_ended_at",
                table: "operator_state_intervals",
                column: "ended_at");
        }
    }
}
